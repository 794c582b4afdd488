//! The markup `PageControls` reads, named once: every `data-*` attribute
//! the runtime (`browser.rs`) looks for, and the small languages some of
//! them carry, parsed here so that they are tested without a browser.
//! What each one means is in `controls`' opening comment; a page test
//! (`server/tests/pages.rs`) holds every `data-*` attribute the pages
//! write to this list.

/// A part read again from the page's own address.
pub const LIVE: &str = "data-live";
/// A live part that is changing: read again sooner.
pub const BUSY: &str = "data-busy";
/// A live part read only after an action.
pub const QUIET: &str = "data-quiet";
/// Seconds after which a live part stops being read.
pub const GIVE_UP: &str = "data-give-up";
/// What a live part says once it stopped being read.
pub const GAVE_UP: &str = "data-gave-up";
/// A note shown while a live part waits.
pub const WAITING: &str = "data-waiting";
/// A part that renders itself in the browser; reads leave it alone.
pub const OWN: &str = "data-own";
/// An island's component and props, as Leptos writes them.
pub const COMPONENT: &str = "data-component";
pub const PROPS: &str = "data-props";
/// A row's identity, by which a fresh copy is matched to the one on screen.
pub const KEY: &str = "data-key";
/// A button that opens the dialog rendered at its address.
pub const DIALOG: &str = "data-dialog";
/// A dialog's Cancel or Close.
pub const CLOSE: &str = "data-close";
/// A form that calls a server function.
pub const CALL: &str = "data-call";
/// The classes of the notice an answer is said in.
pub const NOTICE: &str = "data-notice";
/// The field of the answer to show once, and the words under it.
pub const SECRET: &str = "data-secret";
pub const SECRET_NOTE: &str = "data-secret-note";
/// The answer replaces the form.
pub const IN_PLACE: &str = "data-in-place";
/// The form's typed fields are emptied once the call is done.
pub const CLEAR: &str = "data-clear";
/// A select that submits its form when it changes.
pub const SUBMIT: &str = "data-submit";
/// A field that is not sent.
pub const DRAFT: &str = "data-draft";
/// A submitter's renamings, `from=to other=name`.
pub const RENAME: &str = "data-rename";
/// A button's fields that must be filled first, `one two`.
pub const NEEDS: &str = "data-needs";
/// What a field must say exactly, and what it says while it does not.
pub const EXPECTED: &str = "data-expected";
pub const MISMATCH: &str = "data-mismatch";
/// A field whose choice goes into the page's address.
pub const QUERY: &str = "data-query";
/// Seconds left, counted down each second.
pub const LEFT: &str = "data-left";

/// Every attribute above: what a page may write for the runtime to read.
pub const ALL: &[&str] = &[
    LIVE,
    BUSY,
    QUIET,
    GIVE_UP,
    GAVE_UP,
    WAITING,
    OWN,
    COMPONENT,
    PROPS,
    KEY,
    DIALOG,
    CLOSE,
    CALL,
    NOTICE,
    SECRET,
    SECRET_NOTE,
    IN_PLACE,
    CLEAR,
    SUBMIT,
    DRAFT,
    RENAME,
    NEEDS,
    EXPECTED,
    MISMATCH,
    QUERY,
    LEFT,
];

/// `[data-x]`, the selector of elements that carry `attribute`.
pub fn having(attribute: &str) -> String {
    format!("[{attribute}]")
}

/// A submitter's `data-rename`: the pairs `from=to`, in order; a word
/// without `=` is not a renaming and is skipped.
pub fn renames(spec: &str) -> Vec<(String, String)> {
    spec.split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .filter(|(from, to)| !from.is_empty() && !to.is_empty())
        .map(|(from, to)| (from.to_string(), to.to_string()))
        .collect()
}

/// The name a field is sent under, after `renames`.
pub fn renamed(renames: &[(String, String)], name: String) -> String {
    renames
        .iter()
        .find(|(from, _)| *from == name)
        .map_or(name, |(_, to)| to.clone())
}

/// A button's `data-needs`: the names of the fields it waits for.
pub fn needs(spec: &str) -> impl Iterator<Item = &str> {
    spec.split_whitespace()
}

/// Whether a field counts as filled: something typed, and, where it must
/// repeat something (`data-expected`), exactly that.
pub fn filled(typed: &str, expected: Option<&str>) -> bool {
    let typed = typed.trim();
    !typed.is_empty() && expected.is_none_or(|e| typed == e)
}

/// Whether a field that must repeat `expected` should say it does not:
/// only once something is typed.
pub fn mismatched(typed: &str, expected: &str) -> bool {
    let typed = typed.trim();
    !typed.is_empty() && typed != expected
}

/// A whole number of seconds (`data-left`), or nothing.
pub fn whole_seconds(value: &str) -> Option<i64> {
    value.trim().parse().ok()
}

/// A number of seconds that may have a fraction (`data-give-up`): only a
/// finite, non-negative one counts.
pub fn seconds(value: &str) -> Option<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_listed_once_and_is_a_data_attribute() {
        let mut sorted = ALL.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALL.len(), "an attribute is listed twice");
        for a in ALL {
            assert!(a.starts_with("data-") && !a.ends_with('-'), "{a}");
            assert!(
                a[5..].chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{a}"
            );
        }
        assert_eq!(having(LIVE), "[data-live]");
    }

    #[test]
    fn renames_are_pairs_and_apply_by_name() {
        let r = renames(" comment=reason  junk =x x= a=b ");
        assert_eq!(
            r,
            vec![
                ("comment".to_string(), "reason".to_string()),
                ("a".to_string(), "b".to_string())
            ]
        );
        assert_eq!(renamed(&r, "comment".into()), "reason");
        assert_eq!(renamed(&r, "request".into()), "request");
        assert!(renames("").is_empty());
    }

    #[test]
    fn a_button_waits_for_its_fields_filled_as_expected() {
        assert_eq!(
            needs(" reason  accounts ").collect::<Vec<_>>(),
            ["reason", "accounts"]
        );
        assert!(!filled("   ", None));
        assert!(filled(" why ", None));
        assert!(filled(" pcx-1 ", Some("pcx-1")));
        assert!(!filled("pcx-2", Some("pcx-1")));
        assert!(!mismatched("  ", "pcx-1"));
        assert!(mismatched("pcx-", "pcx-1"));
        assert!(!mismatched("pcx-1 ", "pcx-1"));
    }

    #[test]
    fn seconds_are_numbers_or_nothing() {
        assert_eq!(whole_seconds(" 90 "), Some(90));
        assert_eq!(whole_seconds("-5"), Some(-5));
        assert_eq!(whole_seconds("1.5"), None);
        assert_eq!(seconds("1.5"), Some(1.5));
        assert_eq!(seconds("NaN"), None);
        assert_eq!(seconds("inf"), None);
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("soon"), None);
    }
}
