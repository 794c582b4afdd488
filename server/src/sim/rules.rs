//! The provider's rules as the simulator enforces them, written here on
//! their own rather than borrowed from the console's validators: a bug in
//! `domain::validate` must show up as a difference between the console and
//! the thing its tests run against, not be mirrored by it.

use ipnet::Ipv4Net;

/// 12 digits, as AWS and the provider demand of an account.
pub fn account_id(s: &str) -> Result<&str, String> {
    let s = s.trim();
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s)
    } else {
        Err(format!("aws_account_id must be 12 digits, got \"{s}\""))
    }
}

/// `prefix-` and 8 or 17 lowercase hex digits (AWS's old and new ids).
pub fn aws_id<'a>(s: &'a str, prefix: &str) -> Result<&'a str, String> {
    let s = s.trim();
    let ok = s
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|h| {
            (8..=17).contains(&h.len())
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
    if ok {
        Ok(s)
    } else {
        Err(format!("\"{s}\" is not a valid {prefix} id"))
    }
}

/// An IPv4 block with its host bits zero, as AWS takes a VPC's CIDR.
pub fn cidr(s: &str) -> Result<Ipv4Net, String> {
    let s = s.trim();
    let net: Ipv4Net = s
        .parse()
        .map_err(|_| format!("\"{s}\" is not an IPv4 CIDR block"))?;
    if net.network() != net.addr() {
        return Err(format!("\"{s}\" has host bits set"));
    }
    Ok(net)
}

pub fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// 10/8, 172.16/12, 192.168/16.
fn private(net: &Ipv4Net) -> bool {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
        .iter()
        .filter_map(|b| b.parse::<Ipv4Net>().ok())
        .any(|b| b.contains(net))
}

/// Why the provider refuses to accept a peer with these blocks, if it
/// does: a block outside RFC1918, or one overlapping a block the space
/// keeps (its VPC, its space and dyno blocks, its unavailable ones, and
/// 172.17.0.0/16, which the provider always keeps).
pub fn accept_refusal(peer: &[String], kept: &[String]) -> Option<String> {
    let kept: Vec<Ipv4Net> = kept
        .iter()
        .map(String::as_str)
        .chain(["172.17.0.0/16"])
        .filter_map(|k| k.trim().parse::<Ipv4Net>().ok())
        .collect();
    for block in peer {
        let Ok(net) = block.trim().parse::<Ipv4Net>() else {
            return Some(format!("{block} is not a CIDR block"));
        };
        if !private(&net) {
            return Some(format!("{net} is not an RFC1918 private range"));
        }
        if let Some(k) = kept.iter().find(|k| overlaps(&net, k)) {
            return Some(format!("{net} overlaps {k}, which the space uses"));
        }
    }
    None
}

/// An allowed principal in any form the Data API takes, as the ARN it
/// answers with.
pub fn principal_arn(s: &str) -> Result<String, String> {
    let s = s.trim();
    let body = s.strip_prefix("arn:aws:iam::").unwrap_or(s);
    let (account, rest) = body.split_once(':').unwrap_or((body, "root"));
    let account = account_id(account)?;
    let ok_name = |n: &str| {
        !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    };
    if rest.matches('/').count() > 1 {
        return Err(format!(
            "\"{s}\" has a path; a path is not supported in an allowed principal"
        ));
    }
    match rest.split_once('/') {
        None if rest == "root" => Ok(format!("arn:aws:iam::{account}:root")),
        Some((kind @ ("user" | "role"), name)) if ok_name(name) => {
            Ok(format!("arn:aws:iam::{account}:{kind}/{name}"))
        }
        _ => Err(format!("\"{s}\" is not a valid principal")),
    }
}

/// Only a Private or Shield plan (`heroku-redis:private-7`,
/// `heroku-postgresql:shield-2`) can have a PrivateLink.
pub fn plan_allows_privatelink(plan: &str) -> bool {
    let tier = match plan.split_once(':') {
        Some((_, tier)) => tier,
        None => plan,
    };
    ["private-", "shield-"].iter().any(|t| tier.starts_with(t))
}

/// Where the app finds a VPC endpoint's connection URL: the attachment,
/// `_ENDPOINT_`, the endpoint id's last 17 characters in capitals, `_URL`.
pub fn endpoint_config_var(attachment: &str, endpoint_id: &str) -> String {
    let chars: Vec<char> = endpoint_id.trim().chars().collect();
    let tail: String = chars[chars.len().saturating_sub(17)..]
        .iter()
        .map(char::to_ascii_uppercase)
        .collect();
    format!("{attachment}_ENDPOINT_{tail}_URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_refuses_what_it_cannot_route() {
        let kept = vec!["10.0.0.0/16".to_string()];
        assert_eq!(accept_refusal(&["192.168.1.0/24".into()], &kept), None);
        assert!(accept_refusal(&["8.8.8.0/24".into()], &kept).is_some());
        assert!(accept_refusal(&["10.0.5.0/24".into()], &kept).is_some());
        assert!(accept_refusal(&["172.17.8.0/24".into()], &kept).is_some());
    }

    #[test]
    fn principals_become_arns() {
        assert_eq!(
            principal_arn("123456789012").unwrap(),
            "arn:aws:iam::123456789012:root"
        );
        assert_eq!(
            principal_arn("arn:aws:iam::123456789012:user/ops").unwrap(),
            "arn:aws:iam::123456789012:user/ops"
        );
        assert!(principal_arn("12345:root").is_err());
        assert!(principal_arn("123456789012:group/x").is_err());
        assert!(
            principal_arn("123456789012:user/a/b")
                .unwrap_err()
                .contains("path")
        );
    }

    #[test]
    fn ids_and_blocks() {
        assert!(aws_id("vpc-e291cc85", "vpc").is_ok());
        assert!(aws_id("vpc-E291CC85", "vpc").is_err());
        assert!(cidr("10.0.0.1/16").is_err());
        assert!(account_id("12345678901").is_err());
    }
}
