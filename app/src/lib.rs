//! Spaceport's UI and its server-function surface. Compiled twice: to wasm
//! with `hydrate` for the browser, and natively with `ssr` for the server,
//! which also gets the `console` module (the door to the server's services).
//! This crate never depends on the database or the provider client.

// Leptos views are nested types; the release wasm build of the space page
// goes past rustc's default query depth of 128.
#![recursion_limit = "256"]

pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod console;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: from here on clicks
    // are handled. The end-to-end tests wait for this mark.
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/spaceport.css" />
        <Title text="Spaceport" />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Spaceport"</A>
                <nav>
                    <A href="/">"Spaces"</A>
                    <A href="/audit">"Audit"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="error">"There is no such page."</p> }>
                    // Async: each page is rendered once its data is in, as one
                    // document. Streaming out of order buys nothing here (every
                    // page is its data) and, under load, raced Leptos' own
                    // clean-up of the request.
                    <Route path=path!("/") view=pages::overview::OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("/spaces/:space") view=pages::space::SpacePage ssr=SsrMode::Async />
                    <Route
                        path=path!("/spaces/:space/addons/:addon")
                        view=pages::privatelink::AddonPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
