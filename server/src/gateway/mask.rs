//! What a viewer may see of a connection URL: its scheme, host, port and
//! path. Credentials are replaced by a mark, the query and fragment (where
//! `?password=` forms keep theirs) are dropped, and anything that does not
//! parse as a URL with a host is masked whole. Failing closed matters more
//! than showing a little more: `redis://PASSWORD@host:6379` (a password and
//! no user, the form the seed's own URLs take) must not reach a viewer.

/// Stands where something was masked.
pub const MASK: &str = "********";

pub fn mask_url(raw: &str) -> String {
    let Ok(url) = url::Url::parse(raw.trim()) else {
        return MASK.to_string();
    };
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return MASK.to_string();
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str(MASK);
        shown.push('@');
    }
    shown.push_str(host);
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    if url.path() != "/" || raw.trim_end().ends_with('/') {
        shown.push_str(url.path());
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_scheme_host_port_and_path_are_shown() {
        assert_eq!(
            mask_url("redis://default:s3cr3t@vpce-1.example.com:6379"),
            "redis://********@vpce-1.example.com:6379"
        );
        assert_eq!(
            mask_url("rediss://s3cr3t@vpce-1.example.com:6379"),
            "rediss://********@vpce-1.example.com:6379"
        );
        assert_eq!(
            mask_url("postgres://u:p@ss@h.example:5432/db?password=x&sslmode=require"),
            "postgres://********@h.example:5432/db"
        );
        assert_eq!(mask_url("kafka+ssl://host:9096"), "kafka+ssl://host:9096");
        for unparsable in ["not a url", "", "redis://", "mailto:someone", "::::"] {
            assert_eq!(mask_url(unparsable), MASK, "{unparsable:?}");
        }
    }

    fn secret() -> impl Strategy<Value = String> {
        // Upper case and a marker: nothing else in these URLs has either.
        "[A-Z0-9]{6,16}".prop_map(|s| format!("ZQ{s}"))
    }

    proptest! {
        #[test]
        fn no_secret_survives_masking(
            secret in secret(),
            user in "[a-z]{0,8}",
            host in "[a-z]{1,12}\\.example",
            port in 1u16..,
            path in "(/[a-z]{0,6}){0,3}",
            scheme in prop::sample::select(vec!["redis", "rediss", "postgres", "kafka+ssl", "http"]),
            form in 0usize..5,
        ) {
            let url = match form {
                0 => format!("{scheme}://{user}:{secret}@{host}:{port}{path}"),
                1 => format!("{scheme}://{secret}@{host}:{port}{path}"),
                2 => format!("{scheme}://{host}:{port}{path}?password={secret}"),
                3 => format!("{scheme}://{user}:{secret}@{host}{path}#{secret}"),
                _ => format!("{scheme}:/{user}:{secret}@@{host}"),
            };
            let shown = mask_url(&url);
            prop_assert!(!shown.contains(&secret), "{url} -> {shown}");
        }

        #[test]
        fn anything_at_all_is_masked_without_panicking(s in ".{0,80}") {
            let shown = mask_url(&s);
            prop_assert!(!shown.contains('?') && !shown.contains('#'), "{s} -> {shown}");
        }
    }
}
