//! The browser half of `PageControls`: events, requests, and folding a
//! fresh copy of the page into the one on screen.

use super::Notice;
use super::forms::countdown;
use super::protocol as P;
use crate::components::every;
use domain::error::AppError;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, Element, HtmlFormElement, Node, RequestInit, Response};

/// How often the live parts may be read again, while something changes.
const TICK: Duration = Duration::from_millis(1500);
/// Otherwise they are read every this many ticks.
const IDLE_TICKS: u32 = 4;

#[derive(Clone, Copy)]
pub struct Controls {
    root: NodeRef<leptos::html::Div>,
    notice: RwSignal<Option<Notice>>,
    dialog: RwSignal<Option<String>>,
    /// A read of the page is under way: the next tick waits for it.
    reading: StoredValue<bool>,
    /// A read was asked for during one (after an action): the page is
    /// read once more when that one ends, so the answer's effect shows.
    again: StoredValue<bool>,
    ticks: StoredValue<u32>,
    /// Since when (ms) the page at which address has had a busy part,
    /// and whether the controls gave up reading it.
    waiting: StoredValue<Option<(String, f64)>>,
    gave_up: StoredValue<bool>,
}

impl Controls {
    /// Starts the page's clocks: the live parts' reads and the countdowns.
    pub fn start(
        root: NodeRef<leptos::html::Div>,
        notice: RwSignal<Option<Notice>>,
        dialog: RwSignal<Option<String>>,
    ) -> Self {
        let controls = Self {
            root,
            notice,
            dialog,
            reading: StoredValue::new(false),
            again: StoredValue::new(false),
            ticks: StoredValue::new(0),
            waiting: StoredValue::new(None),
            gave_up: StoredValue::new(false),
        };
        every(TICK, move || controls.tick());
        every(Duration::from_secs(1), move || controls.count_down());
        controls
    }

    fn root(&self) -> Option<Element> {
        self.root.get_untracked().map(Element::from)
    }

    pub fn click(self, ev: web_sys::MouseEvent) {
        let Some(target) = target_element(&ev) else {
            return;
        };
        if let Some(opener) = closest(&target, &P::having(P::DIALOG)) {
            ev.prevent_default();
            if let Some(address) = opener.get_attribute(P::DIALOG) {
                self.open(address);
            }
        } else if closest(&target, &P::having(P::CLOSE)).is_some() {
            ev.prevent_default();
            self.dialog.set(None);
        } else if let Some(button) = closest(&target, "button.copy") {
            copy(&button);
        }
    }

    pub fn submit(self, ev: web_sys::SubmitEvent) {
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        if !form.has_attribute(P::CALL) {
            return;
        }
        ev.prevent_default();
        let submitter = ev.submitter().map(Element::from);
        // The attribute, not `form.action`: a field named "action" (as
        // the approval request's is) hides that property.
        let Some(address) = submitter
            .as_ref()
            .and_then(|s| s.get_attribute("formaction"))
            .or_else(|| form.get_attribute("action"))
        else {
            return;
        };
        let body = form_body(&form, submitter.as_ref());
        let class = form.get_attribute(P::NOTICE).unwrap_or_default();
        let secret = form.get_attribute(P::SECRET);
        let note = form.get_attribute(P::SECRET_NOTE).unwrap_or_default();
        // An action starts any waiting afresh.
        self.waiting.set_value(None);
        self.gave_up.set_value(false);
        // A dialog's form ends the dialog, as its buttons always did.
        if closest(&form, ".dialog-slot").is_some() {
            self.dialog.set(None);
        }
        leptos::task::spawn_local(async move {
            let answer = post(&address, body).await;
            if answer.is_ok() && form.has_attribute(P::CLEAR) {
                clear(&form);
            }
            self.notice.set(match answer {
                Ok(answer) if form.has_attribute(P::IN_PLACE) => {
                    show_in_place(&form, &said(&answer));
                    None
                }
                Ok(answer) => Some(Notice::Said {
                    class,
                    text: said(&answer),
                    secret: secret.and_then(|field| {
                        let value = answer.get(&field)?.as_str()?.to_string();
                        Some((value, note))
                    }),
                }),
                Err(error) => Some(Notice::Failed(error)),
            });
            self.refresh();
        });
    }

    pub fn input(self, ev: web_sys::Event) {
        let Some(field) = target_element(&ev) else {
            return;
        };
        say_mismatch(&field);
        if let Some(form) = closest(&field, "form") {
            // After the field's own handlers have had their effect (a
            // live field fills in a hidden one from what is typed).
            leptos::task::spawn_local(async move { enable_buttons(&form) });
        }
    }

    pub fn change(self, ev: web_sys::Event) {
        let Some(field) = target_element(&ev) else {
            return;
        };
        // A choice that the server applies: into the address, then read.
        if let Some(name) = field.get_attribute(P::QUERY) {
            set_query(&name, &value_of(&field));
            self.refresh();
        } else if field.has_attribute(P::SUBMIT)
            && let Some(form) =
                closest(&field, "form").and_then(|f| f.dyn_into::<HtmlFormElement>().ok())
        {
            let _ = form.request_submit();
        }
    }

    fn tick(self) {
        self.ticks.update_value(|t| *t += 1);
        let Some(root) = self.root() else {
            return;
        };
        // Only a page with a part that changes by itself is read by the clock.
        let found = |selector: &str| root.query_selector(selector).ok().flatten().is_some();
        if !found(&format!("[{}]:not([{}])", P::LIVE, P::QUIET)) {
            return;
        }
        let busy = all(&root, &format!("[{}][{}]", P::LIVE, P::BUSY));
        if self.given_up(&busy) {
            return;
        }
        let due = !busy.is_empty() || self.ticks.get_value().is_multiple_of(IDLE_TICKS);
        if due && self.dialog.get_untracked().is_none() && !writing(&root) {
            self.refresh();
        }
    }

    /// Whether the page has waited on its `busy` parts past their
    /// `data-give-up` seconds: then it stops reading them and says so,
    /// in their `data-gave-up` words.
    fn given_up(self, busy: &[Element]) -> bool {
        let address = window().location().href().unwrap_or_default();
        let now = js_sys::Date::now();
        let since = match self.waiting.get_value() {
            _ if busy.is_empty() => None,
            Some((at, since)) if at == address => Some(since),
            _ => Some(now),
        };
        self.waiting.set_value(since.map(|s| (address, s)));
        let Some(since) = since else {
            self.gave_up.set_value(false);
            return false;
        };
        if self.gave_up.get_value() {
            return true;
        }
        let limit = busy
            .iter()
            .filter_map(|p| P::seconds(&p.get_attribute(P::GIVE_UP)?))
            .reduce(f64::min);
        if limit.is_none_or(|limit| now - since <= limit * 1000.0) {
            return false;
        }
        self.gave_up.set_value(true);
        let said = busy.iter().find_map(|p| p.get_attribute(P::GAVE_UP));
        self.notice.set(Some(Notice::Said {
            class: "error gave-up".into(),
            text: said.unwrap_or_else(|| "Spaceport stopped checking.".into()),
            secret: None,
        }));
        for part in busy {
            for waiting in all(part, &P::having(P::WAITING)) {
                let _ = waiting.set_attribute("hidden", "");
            }
        }
        true
    }

    /// Says, in each `[data-waiting] .elapsed`, how long the page has
    /// waited.
    fn show_waited(self) {
        let (Some(root), Some((_, since))) = (self.root(), self.waiting.get_value()) else {
            return;
        };
        let secs = ((js_sys::Date::now() - since) / 1000.0).max(0.0) as u64;
        let text = format!("Waiting for {} min {:02} s. ", secs / 60, secs % 60);
        for elapsed in all(&root, &format!("[{}] .elapsed", P::WAITING)) {
            elapsed.set_text_content(Some(&text));
        }
    }

    /// Reads the page again and folds its live parts into this one.
    fn refresh(self) {
        if self.reading.get_value() {
            self.again.set_value(true);
            return;
        }
        let Some(address) = window().location().href().ok() else {
            return;
        };
        self.reading.set_value(true);
        leptos::task::spawn_local(async move {
            if let Ok(page) = get_page(&address).await
                && let Some(root) = self.root()
            {
                for part in all(&root, &P::having(P::LIVE)) {
                    let name = part.get_attribute(P::LIVE).unwrap_or_default();
                    let fresh = page
                        .query_selector(&format!("[{}=\"{name}\"]", P::LIVE))
                        .ok()
                        .flatten();
                    if let Some(fresh) = fresh {
                        morph(&part, &fresh);
                    }
                }
                self.show_waited();
                hydrate_islands(&root);
            }
            self.reading.set_value(false);
            if self.again.get_value() {
                self.again.set_value(false);
                self.refresh();
            }
        });
    }

    /// Opens the dialog the page at `address` shows.
    fn open(self, address: String) {
        leptos::task::spawn_local(async move {
            let dialog = get_page(&address).await.and_then(|page| {
                let found = |selector: &str| page.query_selector(selector).ok().flatten();
                match (found("[role=dialog]"), found(".error")) {
                    (Some(dialog), _) => Ok(dialog.outer_html()),
                    (None, Some(error)) => {
                        Err(AppError::NotFound(error.text_content().unwrap_or_default()))
                    }
                    (None, None) => Err(AppError::NotFound(
                        "That is no longer there; the page shows what is.".into(),
                    )),
                }
            });
            match dialog {
                Ok(html) => self.dialog.set(Some(html)),
                Err(error) => self.notice.set(Some(Notice::Failed(error))),
            }
        });
    }

    fn count_down(self) {
        self.show_waited();
        let Some(root) = self.root() else {
            return;
        };
        for time in all(&root, &P::having(P::LEFT)) {
            let Some(left) = time
                .get_attribute(P::LEFT)
                .and_then(|s| P::whole_seconds(&s))
            else {
                continue;
            };
            let left = left - 1;
            let (class, text) = countdown(Some(left));
            let _ = time.set_attribute(P::LEFT, &left.to_string());
            let _ = time.set_attribute("class", class);
            time.set_text_content(Some(&text));
        }
    }
}

fn target_element(ev: &web_sys::Event) -> Option<Element> {
    ev.target().and_then(|t| t.dyn_into::<Element>().ok())
}

fn closest(el: &Element, selector: &str) -> Option<Element> {
    el.closest(selector).ok().flatten()
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// The `value` of a field of any kind.
fn value_of(field: &Element) -> String {
    js_sys::Reflect::get(field, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// Someone is typing in a live part: reading it again would be rude.
/// (Not in a part the reads leave alone, `[data-own]`.)
fn writing(root: &Element) -> bool {
    let read = |f: &Element| closest(f, &P::having(P::OWN)).is_none();
    let typed = all(
        root,
        &format!(
            "[{live}] input:not([type=hidden]):not([type=checkbox]), [{live}] textarea",
            live = P::LIVE
        ),
    )
    .iter()
    .any(|f| read(f) && !value_of(f).trim().is_empty());
    let focused = document().active_element().is_some_and(|el| {
        matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA")
            && closest(&el, &P::having(P::LIVE)).is_some()
            && read(&el)
    });
    typed || focused
}

/// Empties a form's typed fields once its call is done, and tells their
/// own handlers so (a field that checks what is typed).
fn clear(form: &Element) {
    for field in all(
        form,
        "input:not([type=hidden]):not([type=checkbox]), textarea",
    ) {
        let _ = js_sys::Reflect::set(&field, &"value".into(), &JsValue::from_str(""));
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        if let Ok(ev) = web_sys::Event::new_with_event_init_dict("input", &init) {
            let _ = field.dispatch_event(&ev);
        }
    }
}

/// Shows a call's answer where the form was, in place of what stood
/// before it (a masked value), to copy; the reads leave it there.
fn show_in_place(form: &Element, value: &str) {
    let make = |tag: &str| document().create_element(tag).ok();
    let (Some(parent), Some(shown), Some(code), Some(button)) = (
        form.parent_element(),
        make("span"),
        make("code"),
        make("button"),
    ) else {
        return;
    };
    let _ = parent.set_attribute(P::OWN, "");
    let _ = shown.set_attribute("class", "copyable");
    code.set_text_content(Some(value));
    for (name, value) in [("class", "copy"), ("type", "button"), ("title", "Copy")] {
        let _ = button.set_attribute(name, value);
    }
    button.set_text_content(Some("Copy"));
    let _ = shown.append_with_node_2(&code, &button);
    if let Some(before) = form.previous_element_sibling() {
        before.remove();
    }
    let _ = form.replace_with_with_node_1(&shown);
}

/// A form's fields as the server functions read them, with the
/// submitter's own and its renamings.
fn form_body(form: &HtmlFormElement, submitter: Option<&Element>) -> String {
    let renames = P::renames(
        &submitter
            .and_then(|s| s.get_attribute(P::RENAME))
            .unwrap_or_default(),
    );
    let named = |key: String| P::renamed(&renames, key);
    let mut body = form_urlencoded::Serializer::new(String::new());
    let fields = all(form, "input[name], textarea[name], select[name]");
    for field in fields {
        let kind = field.get_attribute("type").unwrap_or_default();
        let checked = js_sys::Reflect::get(&field, &"checked".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let draft = field.has_attribute(P::DRAFT);
        if draft || field.has_attribute("disabled") || (kind == "checkbox" && !checked) {
            continue;
        }
        let name = field.get_attribute("name").unwrap_or_default();
        body.append_pair(&named(name), &value_of(&field));
    }
    if let Some(s) = submitter
        && let Some(name) = s.get_attribute("name")
    {
        body.append_pair(&named(name), &value_of(s));
    }
    body.finish()
}

/// Says, under a field that must repeat something, that it does not.
fn say_mismatch(field: &Element) {
    let Some(expected) = field.get_attribute(P::EXPECTED) else {
        return;
    };
    let wrong = P::mismatched(&value_of(field), &expected);
    let said = field
        .next_element_sibling()
        .filter(|n| n.class_list().contains("mismatch"));
    match (wrong, said) {
        (true, None) => {
            if let Ok(p) = document().create_element("p") {
                let _ = p.set_attribute("class", "error mismatch");
                let _ = p.set_attribute("role", "alert");
                p.set_text_content(field.get_attribute(P::MISMATCH).as_deref());
                let _ = field.after_with_node_1(&p);
            }
        }
        (false, Some(p)) => p.remove(),
        _ => {}
    }
}

/// Enables each of the form's buttons whose fields are filled as needed.
fn enable_buttons(form: &Element) {
    for button in all(form, &format!("button[{}]", P::NEEDS)) {
        let needs = button.get_attribute(P::NEEDS).unwrap_or_default();
        let ready = P::needs(&needs).all(|name| {
            all(form, &format!("[name=\"{name}\"]"))
                .iter()
                .any(|f| P::filled(&value_of(f), f.get_attribute(P::EXPECTED).as_deref()))
        });
        let _ = js_sys::Reflect::set(&button, &"disabled".into(), &JsValue::from_bool(!ready));
    }
}

/// Puts `name=value` into the page's address (or takes it out).
fn set_query(name: &str, value: &str) {
    let location = window().location();
    let (Ok(path), Ok(search)) = (location.pathname(), location.search()) else {
        return;
    };
    let kept: Vec<(String, String)> =
        form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
            .filter(|(k, _)| k != name)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(kept);
    if !value.is_empty() {
        query.append_pair(name, value);
    }
    let query = query.finish();
    let address = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&address));
    }
}

/// Copies the text of the `<code>` before the button, and says so on it.
fn copy(button: &Element) {
    let Some(code) = button.previous_element_sibling() else {
        return;
    };
    let text = code.text_content().unwrap_or_default();
    // Looked up at run time, so the page works (without copying) where
    // the API is missing.
    let navigator: JsValue = window().navigator().into();
    if let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into())
        && let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into())
        && let Some(write) = write.dyn_ref::<js_sys::Function>()
    {
        let _ = write.call1(&clipboard, &JsValue::from_str(&text));
    }
    button.set_text_content(Some("Copied"));
}

/// Makes `old` look like `new`, touching only what differs, so what the
/// person did to the page (an open `<details>`, a field's text, focus)
/// stays where the page did not change. Children are matched in order;
/// elements match when their tag and `data-key` do. A part marked
/// `data-own` (one the browser renders itself, or filled in) is left
/// as it is.
fn morph(old: &Element, new: &Element) {
    // An island that is the same island (its component and props) runs
    // itself; one that is not was replaced by the caller.
    if old.has_attribute(P::OWN) || old.tag_name() == "LEPTOS-ISLAND" {
        return;
    }
    let attrs = new.attributes();
    for i in 0..attrs.length() {
        if let Some(attr) = attrs.item(i)
            && old.get_attribute(&attr.name()).as_deref() != Some(attr.value().as_str())
        {
            let _ = old.set_attribute(&attr.name(), &attr.value());
        }
    }
    for name in old
        .get_attribute_names()
        .iter()
        .filter_map(|n| n.as_string())
    {
        let kept = name == "open" && old.tag_name() == "DETAILS";
        if !kept && !new.has_attribute(&name) {
            let _ = old.remove_attribute(&name);
        }
    }
    // A choice the server made (a role, a filter) is shown as made, even
    // where the person had picked another that was refused.
    if old.tag_name() == "OPTION" {
        let chosen = JsValue::from_bool(new.has_attribute("selected"));
        let _ = js_sys::Reflect::set(old, &"selected".into(), &chosen);
    }
    // A copy button says "Copied" until the page is left.
    if old.tag_name() == "BUTTON" && old.class_list().contains("copy") {
        return;
    }
    let olds = children(old);
    let news = children(new);
    for i in 0..olds.len().max(news.len()) {
        match (olds.get(i), news.get(i)) {
            (Some(o), Some(n)) => match (o.dyn_ref::<Element>(), n.dyn_ref::<Element>()) {
                (Some(oe), Some(ne)) if same_element(oe, ne) => morph(oe, ne),
                (None, None) if o.node_type() == n.node_type() => {
                    if o.node_value() != n.node_value() {
                        o.set_node_value(n.node_value().as_deref());
                    }
                }
                _ => {
                    let _ = old.replace_child(n, o);
                }
            },
            (Some(o), None) => {
                let _ = old.remove_child(o);
            }
            (None, Some(n)) => {
                let _ = old.append_child(n);
            }
            (None, None) => {}
        }
    }
}

fn same_element(a: &Element, b: &Element) -> bool {
    let same = |name: &str| a.get_attribute(name) == b.get_attribute(name);
    let island = a.tag_name() == "LEPTOS-ISLAND";
    a.tag_name() == b.tag_name()
        && same(P::KEY)
        && (!island || (same(P::COMPONENT) && same(P::PROPS)))
}

/// Brings to life the islands a read brought in (the page's script
/// skips those already running).
fn hydrate_islands(root: &Element) {
    let Ok(hydrate) = js_sys::Reflect::get(&window(), &"spaceportIsland".into()) else {
        return;
    };
    let Some(hydrate) = hydrate.dyn_ref::<js_sys::Function>() else {
        return;
    };
    for island in all(root, "leptos-island") {
        let _ = hydrate.call1(&JsValue::NULL, &island);
    }
}

fn children(el: &Element) -> Vec<Node> {
    let list = el.child_nodes();
    (0..list.length()).filter_map(|i| list.item(i)).collect()
}

async fn get_page(address: &str) -> Result<Document, AppError> {
    let init = RequestInit::new();
    init.set_method("GET");
    let (_, html) = fetch(address, &init, "text/html").await?;
    web_sys::DomParser::new()
        .and_then(|p| p.parse_from_string(&html, web_sys::SupportedType::TextHtml))
        .map_err(|_| AppError::Transport("the page could not be read".into()))
}

/// Calls a server function with a form's fields; its answer.
async fn post(address: &str, body: String) -> Result<serde_json::Value, AppError> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(&body));
    let (status, text) = fetch(address, &init, "application/json").await?;
    if status >= 400 {
        return Err(serde_json::from_str::<AppError>(&text)
            .unwrap_or_else(|_| AppError::Transport(format!("the server answered {status}"))));
    }
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

/// A server function answers with what it said, or with a record whose
/// `message` says it.
fn said(answer: &serde_json::Value) -> String {
    match answer {
        serde_json::Value::String(said) => said.clone(),
        other => other
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_string(),
    }
}

async fn fetch(address: &str, init: &RequestInit, accept: &str) -> Result<(u16, String), AppError> {
    let lost = |_: JsValue| AppError::Transport("the server did not answer".into());
    let headers = web_sys::Headers::new().map_err(lost)?;
    let _ = headers.set("Accept", accept);
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    init.set_headers(&headers);
    let response: Response = JsFuture::from(window().fetch_with_str_and_init(address, init))
        .await
        .and_then(|r| r.dyn_into())
        .map_err(lost)?;
    let text = JsFuture::from(response.text().map_err(lost)?)
        .await
        .map_err(lost)?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}
