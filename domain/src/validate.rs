//! Pure parsers and checks, run in the browser for instant feedback and
//! again on the server for enforcement. Each returns a message a person can
//! act on.

use ipnet::Ipv4Net;

fn is_lower_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An AWS resource id: `prefix-` and 8 to 17 lowercase hex digits.
fn aws_id<'a>(input: &'a str, prefix: &str, what: &str) -> Result<&'a str, String> {
    let s = input.trim();
    let Some(rest) = s.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else {
        return Err(format!("{what} must start with \"{prefix}-\", got \"{s}\""));
    };
    if !(8..=17).contains(&rest.len()) || !is_lower_hex(rest) {
        return Err(format!(
            "{what} is \"{prefix}-\" followed by 8 to 17 lowercase hex digits, got \"{s}\""
        ));
    }
    Ok(s)
}

/// A VPC peering connection id such as `pcx-111aaa111`.
pub fn pcx_id(input: &str) -> Result<&str, String> {
    aws_id(input, "pcx", "A PCX ID")
}

/// A VPC id such as `vpc-e291cc85`.
pub fn vpc_id(input: &str) -> Result<&str, String> {
    aws_id(input, "vpc", "A VPC ID")
}

/// An AWS account id: exactly 12 digits.
pub fn aws_account_id(input: &str) -> Result<&str, String> {
    let s = input.trim();
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "An AWS account ID is exactly 12 digits, got \"{s}\" ({} characters)",
            s.chars().count()
        ));
    }
    Ok(s)
}

/// A space name or UUID as the provider accepts it in a path. Names match
/// `^[a-z0-9](?:[a-z0-9]|-(?!-))+[a-z0-9]$`; UUIDs are hex and dashes.
pub fn space_ref(input: &str) -> Result<&str, String> {
    let s = input.trim();
    let b = s.as_bytes();
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let valid = b.len() >= 3
        && b.iter().all(ok_char)
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
        && !s.contains("--");
    if !valid && !is_uuid(s) {
        return Err(format!(
            "A space name is lowercase letters, digits and single dashes, at least 3 characters, got \"{s}\""
        ));
    }
    Ok(s)
}

/// A console user name: 1 to 64 of lowercase letters, digits, `.`, `_`,
/// `-` and `@`, starting with a letter or digit (so an e-mail address fits).
pub fn user_name(input: &str) -> Result<String, String> {
    let s = input.trim().to_ascii_lowercase();
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c);
    let valid = (1..=64).contains(&s.len())
        && s.chars().all(ok_char)
        && s.starts_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(s)
    } else {
        Err(format!(
            "A user name is 1 to 64 lowercase letters, digits, '.', '_', '-' or '@', starting with a letter or digit; got \"{}\"",
            input.trim()
        ))
    }
}

/// The names the history gives the console itself (start-up, expiries,
/// summaries), its command line and its key, and their look-alikes: a
/// user by one of these names would pass their own actions off as the
/// console's.
pub const RESERVED_NAMES: [&str; 7] = [
    "spaceport",
    "console",
    "command-line",
    "command_line",
    "command.line",
    "commandline",
    "an-unknown-name",
];

/// A name for a new user: a user name (`user_name`) that is not one of
/// the console's own (`RESERVED_NAMES`).
pub fn new_user_name(input: &str) -> Result<String, String> {
    let name = user_name(input)?;
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(format!(
            "\"{name}\" is one of the console's own names in the history; choose another."
        ));
    }
    Ok(name)
}

/// One line of text someone typed (a note, a reason): refused if it holds
/// control characters, which would pass for something else where it is
/// shown or logged (a new line in a log, say). `lines` allows new lines
/// (a reason written in a text area).
pub fn plain_text(input: &str, what: &str, lines: bool) -> Result<(), String> {
    let bad = |c: char| c.is_control() && !(lines && (c == '\n' || c == '\r' || c == '\t'));
    if input.chars().any(bad) {
        return Err(format!("{what} may not hold control characters."));
    }
    Ok(())
}

/// The shortest password a user may set; invitations generate longer ones.
pub const MIN_PASSWORD_LEN: usize = 10;

/// A new password: long enough, not all blank, and not absurdly long (the
/// hash is costly, so length is bounded).
pub fn new_password(input: &str) -> Result<&str, String> {
    let n = input.chars().count();
    if n < MIN_PASSWORD_LEN || input.trim().is_empty() {
        return Err(format!(
            "A password needs at least {MIN_PASSWORD_LEN} characters; this one has {n}."
        ));
    }
    if n > 256 {
        return Err("A password may have at most 256 characters.".into());
    }
    Ok(input)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An add-on name such as `redis-sushi-12345`: lowercase letters, digits
/// and dashes (the provider generates them so).
pub fn addon_name(input: &str) -> Result<&str, String> {
    let s = input.trim();
    let ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_';
    if s.is_empty() || s.len() > 100 || !s.bytes().all(ok) {
        return Err(format!(
            "\"{s}\" is not an add-on name such as redis-sushi-12345"
        ));
    }
    Ok(s)
}

/// A VPC endpoint id such as `vpce-01c87ae3c05563935`.
pub fn vpce_id(input: &str) -> Result<&str, String> {
    aws_id(input, "vpce", "A VPC endpoint ID")
}

/// An IPv4 CIDR block such as `10.100.0.0/16`; host bits must be zero, as AWS
/// requires of a VPC's CIDR.
pub fn cidr(input: &str) -> Result<Ipv4Net, String> {
    let s = input.trim();
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| format!("\"{s}\" is not an IPv4 CIDR block such as 10.100.0.0/16"))?;
    if net.trunc() != net {
        return Err(format!(
            "\"{s}\" has host bits set; the block starts at {}",
            net.trunc()
        ));
    }
    Ok(net)
}

/// The private ranges (RFC 1918) a peered VPC must use, in address order.
pub const RFC1918: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/// Whether a block lies inside the private ranges peering requires.
pub fn is_rfc1918(net: &Ipv4Net) -> bool {
    RFC1918
        .iter()
        .map(|r| r.parse::<Ipv4Net>().expect("constant CIDR"))
        .any(|r| r.contains(net))
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// An AWS principal allowed to connect to a PrivateLink endpoint service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Principal {
    pub account: String,
    pub kind: PrincipalKind,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PrincipalKind {
    /// The whole account (`123456789012` or `123456789012:root`).
    Root,
    User(String),
    Role(String),
}

impl Principal {
    /// The form the Data API takes on input: `123456789012:user/NAME`.
    pub fn input_form(&self) -> String {
        match &self.kind {
            PrincipalKind::Root => format!("{}:root", self.account),
            PrincipalKind::User(n) => format!("{}:user/{n}", self.account),
            PrincipalKind::Role(n) => format!("{}:role/{n}", self.account),
        }
    }

    /// The ARN the Data API answers with.
    pub fn arn(&self) -> String {
        match &self.kind {
            PrincipalKind::Root => format!("arn:aws:iam::{}:root", self.account),
            PrincipalKind::User(n) => format!("arn:aws:iam::{}:user/{n}", self.account),
            PrincipalKind::Role(n) => format!("arn:aws:iam::{}:role/{n}", self.account),
        }
    }
}

/// IAM user and role names: 1 to 64 of letters, digits and `+=,.@_-`.
fn iam_name(name: &str, kind: &str) -> Result<String, String> {
    if name.contains('/') {
        return Err(format!(
            "\"{kind}/{name}\" has a path; AWS does not support paths in an allowed principal. Use the {kind} name alone."
        ));
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if name.is_empty() || name.len() > 64 || !name.chars().all(ok) {
        return Err(format!(
            "\"{name}\" is not an IAM {kind} name: 1 to 64 letters, digits and + = , . @ _ -"
        ));
    }
    Ok(name.to_string())
}

/// One allowed account in any form the provider's CLI accepts
/// (`123456789012`, `123456789012:root`, `123456789012:user/NAME`,
/// `123456789012:role/NAME`), or the ARN the API answers with.
pub fn aws_principal(input: &str) -> Result<Principal, String> {
    let s = input.trim();
    // An ARN is the input form with a prefix.
    let body = s.strip_prefix("arn:aws:iam::").unwrap_or(s);
    let (account, rest) = match body.split_once(':') {
        Some((a, r)) => (a, Some(r)),
        None => (body, None),
    };
    let account = aws_account_id(account)?.to_string();
    let kind = match rest {
        None | Some("root") => PrincipalKind::Root,
        Some(r) => match r.split_once('/') {
            Some(("user", name)) => PrincipalKind::User(iam_name(name, "user")?),
            Some(("role", name)) => PrincipalKind::Role(iam_name(name, "role")?),
            _ => {
                return Err(format!(
                    "\"{r}\" after the account is not root, user/NAME or role/NAME"
                ));
            }
        },
    };
    Ok(Principal { account, kind })
}

/// A list of principals separated by commas, spaces or new lines; every bad
/// entry is reported, and duplicates are dropped.
pub fn aws_principals(input: &str) -> Result<Vec<Principal>, String> {
    let mut out: Vec<Principal> = Vec::new();
    let mut errors = Vec::new();
    for part in input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        match aws_principal(part) {
            Ok(p) if !out.contains(&p) => out.push(p),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    match (errors.is_empty(), out.is_empty()) {
        (false, _) => Err(errors.join("; ")),
        (true, true) => Err(
            "Enter at least one AWS account, such as 123456789012 or 123456789012:user/NAME".into(),
        ),
        (true, false) => Ok(out),
    }
}

fn parse_time(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// Seconds from `as_of` until `at`, both RFC 3339; negative when past.
pub fn seconds_until(at: &str, as_of: &str) -> Option<i64> {
    Some((parse_time(at)? - parse_time(as_of)?).whole_seconds())
}

/// "in 6 days", "in 5 hours", "3 minutes ago": the largest whole unit.
pub fn relative_time(at: &str, as_of: &str) -> Option<String> {
    let secs = seconds_until(at, as_of)?;
    let abs = secs.unsigned_abs();
    let (n, unit) = match abs {
        0..60 => {
            return Some(
                if secs >= 0 {
                    "in under a minute"
                } else {
                    "just now"
                }
                .into(),
            );
        }
        60..3600 => (abs / 60, "minute"),
        3600..86400 => (abs / 3600, "hour"),
        _ => (abs / 86400, "day"),
    };
    let plural = if n == 1 { "" } else { "s" };
    Some(if secs >= 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_and_passwords() {
        assert_eq!(
            user_name(" Alice@Example.com ").unwrap(),
            "alice@example.com"
        );
        assert!(user_name("").is_err());
        assert!(user_name("-x").is_err());
        assert!(user_name("a b").is_err());
        assert!(user_name(&"a".repeat(65)).is_err());
        assert!(new_password("short").unwrap_err().contains("at least 10"));
        assert!(new_password("          ").is_err());
        assert!(new_password("long enough!").is_ok());
        assert!(new_password(&"x".repeat(257)).is_err());
    }
    use proptest::prelude::*;

    const NOW: &str = "2026-11-22T12:00:00Z";

    #[test]
    fn pcx_ids() {
        assert!(pcx_id("pcx-111aaa111").is_ok());
        assert!(pcx_id(" pcx-0123456789abcdef0 ").is_ok());
        assert!(pcx_id("pcx-1234567").is_err());
        assert!(pcx_id("pcx-0123456789abcdef01").is_err());
        assert!(pcx_id("pcx-111AAA111").is_err());
        assert!(pcx_id("vpc-111aaa111").is_err());
        assert!(pcx_id("").is_err());
        assert!(pcx_id("******").is_err());
    }

    #[test]
    fn account_ids() {
        assert!(aws_account_id("123456789012").is_ok());
        assert!(aws_account_id("12345678901").is_err());
        assert!(aws_account_id("1234567890123").is_err());
        assert!(aws_account_id("12345678901a").is_err());
    }

    #[test]
    fn space_names() {
        assert!(space_ref("spaces-peering-example").is_ok());
        assert!(space_ref("0b3ff5a2-1e0c-4b6c-9a6e-2f1d5c1b7e11").is_ok());
        for bad in ["-a", "ab-", "a--b", "Ab", "a", "a/b", "a b"] {
            assert!(space_ref(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cidrs() {
        assert_eq!(cidr("10.100.0.0/16").unwrap().prefix_len(), 16);
        assert!(cidr("10.100.0.1/16").unwrap_err().contains("10.100.0.0/16"));
        assert!(cidr("10.100.0.0").is_err());
        assert!(cidr("10.100.0.0/33").is_err());
        assert!(is_rfc1918(&cidr("172.20.0.0/16").unwrap()));
        assert!(!is_rfc1918(&cidr("172.32.0.0/16").unwrap()));
        assert!(!is_rfc1918(&cidr("8.0.0.0/8").unwrap()));
        assert!(!is_rfc1918(&cidr("10.0.0.0/7").unwrap()));
    }

    #[test]
    fn relative_times() {
        assert_eq!(
            relative_time("2026-11-28T13:00:00Z", NOW).unwrap(),
            "in 6 days"
        );
        assert_eq!(
            relative_time("2026-11-22T17:30:00Z", NOW).unwrap(),
            "in 5 hours"
        );
        assert_eq!(
            relative_time("2026-11-22T11:57:00Z", NOW).unwrap(),
            "3 minutes ago"
        );
        assert_eq!(
            relative_time("2026-11-22T13:00:00Z", NOW).unwrap(),
            "in 1 hour"
        );
        assert!(relative_time("", NOW).is_none());
    }

    #[test]
    fn principals_in_every_accepted_form() {
        let root = aws_principal("123456789012").unwrap();
        assert_eq!(root.arn(), "arn:aws:iam::123456789012:root");
        assert_eq!(aws_principal("123456789012:root").unwrap(), root);
        let user = aws_principal(" 123456789101:user/abc.xyz ").unwrap();
        assert_eq!(user.arn(), "arn:aws:iam::123456789101:user/abc.xyz");
        assert_eq!(user.input_form(), "123456789101:user/abc.xyz");
        let role = aws_principal("123456789012:role/Deploy_Bot-1").unwrap();
        assert_eq!(role.kind, PrincipalKind::Role("Deploy_Bot-1".into()));
        assert_eq!(
            aws_principal("arn:aws:iam::123456789101:user/abc.xyz").unwrap(),
            user
        );
    }

    #[test]
    fn bad_principals_say_what_is_wrong() {
        for (bad, words) in [
            ("12345678901", "12 digits"),
            ("1234567890123", "12 digits"),
            ("123456789012:user/a/b", "path"),
            (
                "123456789012:group/admins",
                "not root, user/NAME or role/NAME",
            ),
            ("123456789012:user/", "IAM user name"),
            ("123456789012:user/bad name!", "IAM user name"),
            ("123456789012:admin", "not root"),
        ] {
            let e = aws_principal(bad).unwrap_err();
            assert!(e.contains(words), "{bad}: {e}");
        }
    }

    #[test]
    fn principal_lists() {
        let list = aws_principals("123456789012, 123456789012:root\n210987654321:role/ci").unwrap();
        assert_eq!(list.len(), 2, "the duplicate root is dropped");
        let e = aws_principals("123, 123456789012:user/a/b").unwrap_err();
        assert!(e.contains("12 digits") && e.contains("path"), "{e}");
        assert!(aws_principals(" , ").is_err());
    }

    proptest! {
        #[test]
        fn principals_never_panic_and_roundtrip(s in ".{0,60}") {
            if let Ok(p) = aws_principal(&s) {
                prop_assert_eq!(aws_principal(&p.input_form()), Ok(p.clone()));
                prop_assert_eq!(aws_principal(&p.arn()), Ok(p));
            }
        }

        /// Every parser of user input, over anything at all (printable or
        /// not, any length): none panics, and every refusal says why.
        #[test]
        fn every_parser_refuses_with_a_message(s in "(?s).{0,80}") {
            let said = |r: Result<(), String>| r.err().is_none_or(|m| m.trim().len() > 10);
            prop_assert!(said(cidr(&s).map(drop)));
            prop_assert!(said(pcx_id(&s).map(drop)));
            prop_assert!(said(vpc_id(&s).map(drop)));
            prop_assert!(said(vpce_id(&s).map(drop)));
            prop_assert!(said(aws_account_id(&s).map(drop)));
            prop_assert!(said(space_ref(&s).map(drop)));
            prop_assert!(said(addon_name(&s).map(drop)));
            prop_assert!(said(user_name(&s).map(drop)));
            prop_assert!(said(new_password(&s).map(drop)));
            prop_assert!(said(aws_principal(&s).map(drop)));
            prop_assert!(said(aws_principals(&s).map(drop)));
        }

        #[test]
        fn overlap_is_symmetric(a in any::<u32>(), pa in 0u8..=32, b in any::<u32>(), pb in 0u8..=32) {
            let x = Ipv4Net::new(a.into(), pa).unwrap().trunc();
            let y = Ipv4Net::new(b.into(), pb).unwrap().trunc();
            prop_assert_eq!(overlaps(&x, &y), overlaps(&y, &x));
            // Two blocks overlap exactly when they share the lower start's address range.
            let shares = x.network() <= y.broadcast() && y.network() <= x.broadcast();
            prop_assert_eq!(overlaps(&x, &y), shares);
        }

        #[test]
        fn valid_account_ids_roundtrip(n in 0u64..1_000_000_000_000) {
            let s = format!("{n:012}");
            prop_assert_eq!(aws_account_id(&s), Ok(s.as_str()));
        }
    }
}
