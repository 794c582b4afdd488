//! Spaceport's UI and its server-function surface. Compiled twice: to wasm
//! with `hydrate` for the browser, and natively with `ssr` for the server,
//! which also gets the `console` module (the door to the server's services).
//! This crate never depends on the database or the provider client.

// Leptos views are nested types; the release wasm build of the space page
// goes past rustc's default query depth of 128.
#![recursion_limit = "256"]

pub mod components;
pub mod controls;
pub mod error;
pub mod me;
pub mod pages;
pub mod site;

#[cfg(feature = "ssr")]
pub mod console;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{A, Route, Router, Routes},
    path,
};

/// The HTML document around the app, rendered on the server only. It
/// carries the page's CSP (with the nonce Leptos puts on its own scripts).
pub fn shell(files: site::SiteFiles) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <site::SiteHead files />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Scripts run only with this response's nonce (or from this site, for the
/// modules the hydration script imports); wasm may be compiled; styles,
/// images and fetches come from this site only; nobody may frame a page.
#[cfg(feature = "ssr")]
fn set_page_csp() {
    use leptos::nonce::use_nonce;
    let (Some(nonce), Some(res)) = (use_nonce(), use_context::<leptos_axum::ResponseOptions>())
    else {
        return;
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&csp) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Spaceport" />
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Spaceport"</A>
                <TopNav />
            </header>
            // Every page is driven by the one set of controls: its dialogs,
            // forms and live parts (see `controls`).
            <controls::PageControls>
            <SignedIn>
                <pages::alarm::IntegrityBanner />
            </SignedIn>
            <main>
                {match use_context::<me::PageRefused>() {
                    Some(refused) => view! { <RefusedPage refused /> }.into_any(),
                    None => view! {
                    <Routes fallback=|| view! { <p class="error">"There is no such page."</p> }>
                        // Async: each page is rendered once its data is in, as one
                        // document. Streaming out of order buys nothing here (every
                        // page is its data) and, under load, raced Leptos' own
                        // clean-up of the request.
                        <Route path=path!("/") view=pages::overview::OverviewPage ssr=SsrMode::Async />
                        <Route path=path!("/spaces/:space") view=pages::space::SpacePage ssr=SsrMode::Async />
                        <Route
                            path=path!("/spaces/:space/terraform")
                            view=pages::export::TerraformPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/spaces/:space/peerings/:pcx/:what")
                            view=pages::space_dialogs::PeeringDialogPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/spaces/:space/approvals/:request")
                            view=pages::space_dialogs::ReviewDialogPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/spaces/:space/addons/:addon")
                            view=pages::privatelink::AddonPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/spaces/:space/addons/:addon/remove")
                            view=pages::addon_dialogs::RemoveAccountDialogPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/audit") view=pages::audit::AuditPage ssr=SsrMode::Async />
                        <Route path=path!("/users") view=pages::users::UsersPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/users/:name")
                            view=pages::users::UserChangeDialogPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/inbox") view=pages::inbox::InboxPage ssr=SsrMode::Async />
                        <Route path=path!("/settings") view=pages::settings::SettingsPage ssr=SsrMode::Async />
                        <Route
                            path=path!("/notifications")
                            view=pages::notifications::NotificationsPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/signin") view=pages::signin::SignInPage />
                        <Route path=path!("/password") view=pages::signin::PasswordPage />
                    </Routes>
                    }
                        .into_any(),
                }}
            </main>
            </controls::PageControls>
        </Router>
    }
}

/// The navigation, and who is signed in with a way out. Users and
/// Settings are shown to admins only; the server refuses them to anyone
/// else anyway.
#[component]
fn TopNav() -> impl IntoView {
    let me = use_context::<me::Me>().unwrap_or_default();
    let Some(caller) = me.0 else {
        return ().into_any();
    };
    let admin = caller.can(domain::access::Permission::ManageUsers);
    let settings = caller.can(domain::access::Permission::ManagePolicy);
    let notifications = caller.can(domain::access::Permission::ManageNotifications);
    view! {
        <nav>
            <A href="/">"Spaces"</A>
            <pages::inbox::InboxCount />
            <A href="/audit">"Audit"</A>
            {admin.then(|| view! { <A href="/users">"Users"</A> })}
            {settings.then(|| view! { <A href="/settings">"Settings"</A> })}
            {notifications.then(|| view! { <A href="/notifications">"Notifications"</A> })}
        </nav>
        <div class="me">
            <span class="who" data-role=caller.role.as_str()>
                {caller.name.clone()} " · " {caller.role.as_str()}
            </span>
            {(!caller.via_provider).then(|| view! { <a href="/password">"Password"</a> })}
            <form method="post" action="/signout" class="signout">
                <button type="submit">"Sign out"</button>
            </form>
        </div>
    }
    .into_any()
}

/// A page the server would not show this caller (see the gate), in the
/// console's own layout: why, and the way back.
#[component]
fn RefusedPage(refused: me::PageRefused) -> impl IntoView {
    view! {
        <section class="panel refused" role="alert">
            <h1>"This page is not open to you"</h1>
            <p>{refused.0}</p>
            <p>
                <A href="/">"Back to the spaces"</A>
            </p>
        </section>
    }
}

/// Its children, for a signed-in user only.
#[component]
fn SignedIn(children: Children) -> impl IntoView {
    let me = use_context::<me::Me>().unwrap_or_default();
    me.0.is_some().then(children)
}

/// Readies the browser's half: the page itself is the server's; only its
/// islands (the page's controls, the inbox count, the fields that check
/// what is typed) run here, each hydrated by the page's script after this.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
