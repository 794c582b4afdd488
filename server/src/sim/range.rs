//! The provider's Range paging: a list answer holds at most `max` items; when
//! more remain it is `206 Partial Content` with a `Next-Range` header that
//! the client sends back as `Range` for the next page.
//!
//! Header form: `<field> <start>..<end>; max=<n>, order=<asc|desc>`, where a
//! start written `]value` excludes that value (what `Next-Range` uses).

/// The provider's documented page sizes.
pub const DEFAULT_MAX: usize = 200;
pub const LIMIT_MAX: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSpec {
    pub field: String,
    pub start: Option<String>,
    pub start_exclusive: bool,
    pub end: Option<String>,
    pub max: usize,
    pub descending: bool,
}

/// Parses a Range header; `None` means the header was malformed, which the
/// provider answers with 400 rather than guessing.
pub fn parse(header: &str, default_max: usize) -> Option<RangeSpec> {
    let (bounds, options) = match header.split_once(';') {
        Some((b, o)) => (b.trim(), o),
        None => (header.trim(), ""),
    };
    let (field, span) = bounds.split_once(' ').unwrap_or((bounds, ".."));
    let (start, end) = span.trim().split_once("..")?;
    let (start, start_exclusive) = match start.strip_prefix(']') {
        Some(s) => (s, true),
        None => (start, false),
    };
    let mut spec = RangeSpec {
        field: field.trim().to_string(),
        start: (!start.is_empty()).then(|| start.to_string()),
        start_exclusive,
        end: (!end.trim().is_empty()).then(|| end.trim().trim_end_matches(']').to_string()),
        max: default_max,
        descending: false,
    };
    for opt in options.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        match opt.split_once('=')? {
            ("max", n) => {
                spec.max = n
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)?
                    .min(LIMIT_MAX)
            }
            ("order", "asc") => spec.descending = false,
            ("order", "desc") => spec.descending = true,
            _ => return None,
        }
    }
    if spec.field.is_empty() {
        return None;
    }
    Some(spec)
}

pub struct Page<T> {
    pub items: Vec<T>,
    /// Set when more items remain after this page.
    pub next_range: Option<String>,
}

/// One page of `items` (already sorted ascending by `key`).
pub fn page<T>(mut items: Vec<T>, key: impl Fn(&T) -> &str, spec: &RangeSpec) -> Page<T> {
    if spec.descending {
        items.reverse();
    }
    let after = |k: &str, bound: &str| {
        if spec.descending {
            k < bound
        } else {
            k > bound
        }
    };
    let before_or_at = |k: &str, bound: &str| {
        if spec.descending {
            k >= bound
        } else {
            k <= bound
        }
    };
    let mut selected: Vec<T> = items
        .into_iter()
        .filter(|item| {
            let k = key(item);
            let from_ok = match &spec.start {
                None => true,
                Some(s) if spec.start_exclusive => after(k, s),
                Some(s) => k == s || after(k, s),
            };
            let to_ok = spec.end.as_deref().is_none_or(|e| before_or_at(k, e));
            from_ok && to_ok
        })
        .collect();
    let next_range = (selected.len() > spec.max).then(|| {
        let last = key(&selected[spec.max - 1]).to_string();
        let order = if spec.descending { ", order=desc" } else { "" };
        format!("{} ]{last}..; max={}{order}", spec.field, spec.max)
    });
    selected.truncate(spec.max);
    Page {
        items: selected,
        next_range,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("pcx-{i:08}")).collect()
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let s = parse("pcx_id ..; max=10", 200).unwrap();
        assert_eq!((s.field.as_str(), s.start, s.max), ("pcx_id", None, 10));
        let s = parse("id ]pcx-00000009..; max=10, order=desc", 200).unwrap();
        assert_eq!(s.start.as_deref(), Some("pcx-00000009"));
        assert!(s.start_exclusive && s.descending);
        assert_eq!(parse("name ..; max=5000", 200).unwrap().max, LIMIT_MAX);
        assert_eq!(parse("name", 7).unwrap().max, 7);
        for bad in [
            "",
            "id ..; max=0",
            "id ..; max=x",
            "id ..; color=blue",
            "id nope",
        ] {
            assert!(parse(bad, 200).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn following_next_range_visits_every_item_once() {
        for (n, max) in [(0, 3), (1, 3), (3, 3), (10, 3), (250, 200)] {
            let all = keys(n);
            let mut seen = Vec::new();
            let mut header = format!("pcx_id ..; max={max}");
            loop {
                let spec = parse(&header, 200).unwrap();
                let p = page(all.clone(), |k| k.as_str(), &spec);
                assert!(p.items.len() <= max);
                seen.extend(p.items);
                match p.next_range {
                    Some(next) => header = next,
                    None => break,
                }
            }
            assert_eq!(seen, all, "n={n} max={max}");
        }
    }

    #[test]
    fn descending_pages_run_backwards() {
        let spec = parse("pcx_id ..; max=2, order=desc", 200).unwrap();
        let p = page(keys(5), |k| k.as_str(), &spec);
        assert_eq!(p.items, vec!["pcx-00000004", "pcx-00000003"]);
        let spec = parse(&p.next_range.unwrap(), 200).unwrap();
        let p = page(keys(5), |k| k.as_str(), &spec);
        assert_eq!(p.items, vec!["pcx-00000002", "pcx-00000001"]);
    }
}
