//! Validated values: a space, a PCX ID, an add-on, a user name, a list of
//! AWS principals. Each is parsed once where it enters (a server function's
//! arguments, a command line, a stored action) through serde's `try_from`,
//! so everything downstream takes the type and never re-validates a string.
//! The parsers themselves are in `validate`, shared with the browser.

use crate::validate::{self, Principal};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A string newtype whose only constructor is its parser.
macro_rules! validated {
    ($(#[$doc:meta])* $name:ident, $parse:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse()
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let parse: fn(&str) -> Result<String, String> = $parse;
                parse(s).map(Self)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    };
}

validated!(
    /// A space's name or UUID, as the provider accepts it in a path.
    SpaceRef,
    |s| validate::space_ref(s).map(str::to_string)
);
validated!(
    /// A VPC peering connection id such as `pcx-111aaa111`.
    PcxId,
    |s| validate::pcx_id(s).map(str::to_string)
);
validated!(
    /// An add-on's name such as `redis-sushi-12345`.
    AddonName,
    |s| validate::addon_name(s).map(str::to_string)
);
validated!(
    /// A VPC endpoint id such as `vpce-01c87ae3c05563935`.
    EndpointId,
    |s| validate::vpce_id(s).map(str::to_string)
);
validated!(
    /// A console user's name, lowercased.
    UserName,
    validate::user_name
);

/// Parses what a page holds (a route's parameter, a value the server sent,
/// what was typed) into a server function's argument, saying what is wrong
/// the way the server would.
pub fn parse<T: FromStr<Err = String>>(s: &str) -> Result<T, crate::error::AppError> {
    s.parse().map_err(crate::error::AppError::Invalid)
}

/// One or more AWS principals allowed to connect to a PrivateLink, without
/// duplicates, in the form the Data API takes on input. Parsed from a list
/// separated by commas, spaces or new lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Principals(Vec<Principal>);

impl Principals {
    /// `123456789012:user/NAME`, one per principal.
    pub fn input_forms(&self) -> Vec<String> {
        self.0.iter().map(Principal::input_form).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Principal> {
        self.0.iter()
    }
}

impl FromStr for Principals {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        validate::aws_principals(s).map(Self)
    }
}

impl TryFrom<String> for Principals {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Principals> for String {
    fn from(p: Principals) -> String {
        p.to_string()
    }
}

impl fmt::Display for Principals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.input_forms().join(", "))
    }
}

/// A password on its way to being hashed. It never serialises (an action
/// that carries one is stored without it) and never prints.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_through_serde() {
        let v: PcxId = serde_json::from_str("\" pcx-111aaa111 \"").unwrap();
        assert_eq!(v.as_str(), "pcx-111aaa111");
        let e = serde_json::from_str::<PcxId>("\"pcx-nothex!\"").unwrap_err();
        assert!(e.to_string().contains("PCX ID"), "{e}");
        let u: UserName = "Alice@Example.com".parse().unwrap();
        assert_eq!(u.as_str(), "alice@example.com");
        assert!("Bad Space".parse::<SpaceRef>().is_err());
    }

    #[test]
    fn principals_round_trip_in_input_form() {
        let p: Principals = "123456789012, arn:aws:iam::123456789012:user/ops\n123456789012"
            .parse()
            .unwrap();
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(s, "\"123456789012:root, 123456789012:user/ops\"");
        assert_eq!(serde_json::from_str::<Principals>(&s).unwrap(), p);
        assert!("".parse::<Principals>().is_err());
    }

    #[test]
    fn a_secret_neither_prints_nor_leaks() {
        let s = Secret::new("hunter2-hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
