//! Four eyes, as rules: the policy (how many other people must approve
//! each kind of action, and how independent they must be), what a button
//! needs before it acts, the grants that say who made whom able to decide,
//! the snapshot a request keeps of what its requester saw, and the
//! peerings a team expects. The server stores and decides them; the
//! browser and the server match a request against the expected peers with
//! the same function.

use crate::access::Role;
use crate::kind::AuditName;
use crate::model::{Peering, PeeringStatus};
use crate::validate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of action a policy may hold back for approval: the changes
/// made from a page whose result is not a secret shown to its maker.
pub const GATED: [AuditName; 9] = [
    AuditName::PeeringAccept,
    AuditName::PeeringDestroy,
    AuditName::PrivateLinkCreate,
    AuditName::PrivateLinkDestroy,
    AuditName::PrivateLinkAccountAdd,
    AuditName::PrivateLinkAccountRemove,
    AuditName::PeerExpect,
    AuditName::PeerForget,
    AuditName::PolicySet,
];

/// The most approvals a kind may need. The store counts votes by name, so
/// raising this is a policy decision, not new machinery.
pub const MAX_APPROVALS: u8 = 1;

/// How long a request may wait at most, in hours (a week, like AWS's).
pub const MAX_LIFETIME_HOURS: u32 = 168;

/// How many days before a request an approver must not have been made,
/// raised or enabled by its requester, by default.
pub const INDEPENDENCE_DAYS: u32 = 7;

/// The longest such window a policy may name.
pub const MAX_INDEPENDENCE_DAYS: u32 = 365;

fn independence_days() -> u32 {
    INDEPENDENCE_DAYS
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// How many people besides the requester must approve, by kind; a kind
    /// not named needs nobody.
    pub approvals: BTreeMap<AuditName, u8>,
    /// A peering is accepted only when it matches an expected peer.
    pub require_expected_peer: bool,
    /// How long a request waits before it expires (or less: a peering
    /// request's own expiry comes first).
    pub lifetime_hours: u32,
    /// An approval counts only from someone whose account, role or
    /// enabling the requester did not give them in this many days before
    /// the request (or since it). Policies stored before it existed read
    /// as the default.
    #[serde(default = "independence_days")]
    pub independence_days: u32,
}

impl Default for Policy {
    /// A new console: accepting a peering, and every destroy, need one
    /// other person.
    fn default() -> Self {
        Self {
            approvals: [
                (AuditName::PeeringAccept, 1),
                (AuditName::PeeringDestroy, 1),
                (AuditName::PrivateLinkDestroy, 1),
            ]
            .into_iter()
            .collect(),
            require_expected_peer: false,
            lifetime_hours: 24,
            independence_days: INDEPENDENCE_DAYS,
        }
    }
}

impl Policy {
    /// How many other people must approve an action of kind `name`.
    pub fn needs(&self, name: AuditName) -> u8 {
        self.approvals.get(&name).copied().unwrap_or(0)
    }

    /// Refuses a policy this console cannot hold, saying why.
    pub fn check(&self) -> Result<(), String> {
        for (name, n) in &self.approvals {
            if !GATED.contains(name) {
                return Err(format!("{name} cannot wait for approval."));
            }
            if *n > MAX_APPROVALS {
                return Err(format!(
                    "{name} may need at most {MAX_APPROVALS} approval, not {n}."
                ));
            }
        }
        if !(1..=MAX_LIFETIME_HOURS).contains(&self.lifetime_hours) {
            return Err(format!(
                "A request lives from 1 to {MAX_LIFETIME_HOURS} hours, not {}.",
                self.lifetime_hours
            ));
        }
        if self.independence_days > MAX_INDEPENDENCE_DAYS {
            return Err(format!(
                "An approver's standing is looked at over {MAX_INDEPENDENCE_DAYS} days at most, \
                 not {}.",
                self.independence_days
            ));
        }
        Ok(())
    }

    /// Whether anything waits for approval under this policy.
    pub fn holds_any(&self) -> bool {
        self.approvals.values().any(|n| *n > 0)
    }

    /// Whether someone with `role` could decide something this policy
    /// holds back: then making someone that role (inviting, raising,
    /// enabling them) changes who may approve. Admins decide the changes
    /// to who may approve themselves, held whenever anything is.
    pub fn decides(&self, role: Role) -> bool {
        self.holds_any()
            && (role == Role::Admin
                || self
                    .approvals
                    .iter()
                    .any(|(k, n)| *n > 0 && k.permission().is_some_and(|p| role.can(p))))
    }

    /// Whether going from this policy to `new` weakens four eyes: a count
    /// lowered, "expected peers only" turned off, or the independence
    /// window shortened.
    pub fn loosened_by(&self, new: &Policy) -> bool {
        GATED.iter().any(|k| new.needs(*k) < self.needs(*k))
            || (self.require_expected_peer && !new.require_expected_peer)
            || new.independence_days < self.independence_days
    }

    /// How many approvals changing this policy to `new` needs: a change
    /// that only tightens (a count raised, expected peers required, a
    /// longer window) needs nobody; one that loosens needs another admin
    /// whenever anything is held; anything else what `policy.set` needs.
    pub fn change_needs(&self, new: &Policy) -> u8 {
        let only_tightens = !self.loosened_by(new) && self.lifetime_hours == new.lifetime_hours;
        if only_tightens {
            0
        } else if self.loosened_by(new) && self.holds_any() {
            self.needs(AuditName::PolicySet).max(1)
        } else {
            self.needs(AuditName::PolicySet)
        }
    }

    /// The same policy without the kinds that need nobody, so two equal
    /// policies compare equal however they were written.
    pub fn normalised(mut self) -> Self {
        self.approvals.retain(|_, n| *n > 0);
        self
    }

    /// "peering.accept 1 → 0; require expected peer off → on": what
    /// changes from `self` to `new`.
    pub fn changes_to(&self, new: &Policy) -> String {
        let mut out: Vec<String> = GATED
            .iter()
            .filter(|n| self.needs(**n) != new.needs(**n))
            .map(|n| format!("{n} {} → {}", self.needs(*n), new.needs(*n)))
            .collect();
        let on = |b: bool| if b { "on" } else { "off" };
        if self.require_expected_peer != new.require_expected_peer {
            out.push(format!(
                "require expected peer {} → {}",
                on(self.require_expected_peer),
                on(new.require_expected_peer)
            ));
        }
        if self.lifetime_hours != new.lifetime_hours {
            out.push(format!(
                "request lifetime {} h → {} h",
                self.lifetime_hours, new.lifetime_hours
            ));
        }
        if self.independence_days != new.independence_days {
            out.push(format!(
                "independence window {} d → {} d",
                self.independence_days, new.independence_days
            ));
        }
        if out.is_empty() {
            "no change".into()
        } else {
            out.join("; ")
        }
    }
}

/// What a button needs before it acts: `needs` approvals, and how many
/// people other than the one at the screen could give them (independent
/// ones: see `independence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Gate {
    pub needs: u8,
    pub approvers: u32,
    /// Only admins may decide it (a destroy, a change to who may approve).
    #[serde(default)]
    pub by_admins: bool,
}

impl Gate {
    /// Why the request could never be approved, if nobody else may.
    pub fn deadlock(&self, what: &str) -> Option<String> {
        if self.needs == 0 || self.approvers >= u32::from(self.needs) {
            return None;
        }
        Some(if self.by_admins {
            format!(
                "The policy says another admin must approve {what}, and this console has no \
                 other admin who could (one you did not make or raise lately). Add a second \
                 admin from the command line, which holds the database file: `spaceport user \
                 add NAME --role admin`."
            )
        } else {
            format!(
                "The policy says another person must approve {what}, and nobody else on this \
                 console may: add a user with the role for it (Users), or an admin changes \
                 the policy (Settings)."
            )
        })
    }
}

/// What changed a user's standing; the server keeps one `Grant` a change
/// (`server/src/auth/users.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantChange {
    Created,
    Role,
    Enabled,
    Disabled,
}

impl GrantChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Role => "role",
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Created, Self::Role, Self::Enabled, Self::Disabled]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// One change of a user's standing: their role after it, who asked for it
/// and who approved it (when it was held), and when (RFC 3339, whole
/// seconds, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub change: GrantChange,
    pub role: Role,
    /// A user's name, `command line` or `spaceport`; empty for what was
    /// done before grants were recorded.
    pub by: String,
    pub approved_by: Option<String>,
    pub at: String,
}

impl Grant {
    /// Whether `who` asked for this change or approved it.
    fn given_by(&self, who: &str) -> bool {
        self.by == who || self.approved_by.as_deref() == Some(who)
    }

    /// "olga", "olga (approved by bob)", or who knows.
    pub fn giver(&self) -> String {
        match (&self.approved_by, self.by.as_str()) {
            (_, "") => "before this console recorded who".into(),
            (Some(a), by) => format!("{by}, approved by {a}"),
            (None, by) => by.into(),
        }
    }
}

/// The grant since which the user whose `grants` these are (oldest first)
/// has held `least` or a higher role while enabled, without a break; `None`
/// when they do not hold it now.
pub fn standing(grants: &[Grant], least: Role) -> Option<&Grant> {
    let mut since = None;
    let mut enabled = true;
    for g in grants {
        enabled = match g.change {
            GrantChange::Disabled => false,
            GrantChange::Created | GrantChange::Enabled => true,
            GrantChange::Role => enabled,
        };
        let holds = enabled && g.role >= least;
        since = match (holds, since) {
            (false, _) => None,
            (true, None) => Some(g),
            (true, kept) => kept,
        };
    }
    since
}

/// Seconds from `at` to `now` (RFC 3339 both); 0 if either does not parse.
fn seconds_between(at: &str, now: &str) -> i64 {
    validate::seconds_until(now, at).unwrap_or(0)
}

/// "3 minutes", "2 days": how long `seconds` is, roughly.
pub fn duration_words(seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..60 => (s, "second"),
        60..3600 => (s / 60, "minute"),
        3600..86_400 => (s / 3600, "hour"),
        _ => (s / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The grant an approval by the user whose `grants` these are rests on, if
/// it counts for a request by `requester`, made at `asked`, that needs the
/// role `least`: they held such a role when it was asked, and neither
/// their account, nor a raise of their role, nor their enabling was asked
/// for or approved by the requester in `window_days` before the request or
/// since. Otherwise why not, to the approver ("you").
pub fn independence<'a>(
    grants: &'a [Grant],
    least: Role,
    requester: &str,
    asked: &str,
    window_days: u32,
    now: &str,
) -> Result<&'a Grant, String> {
    let Some(since) = standing(grants, least) else {
        return Err(format!(
            "Deciding it takes the role {least}, which you do not hold."
        ));
    };
    // Whole seconds: a grant in the same second as the request counts as
    // before it (the requester's own grants are caught below regardless).
    if seconds_between(asked, &since.at) > 0 {
        return Err(format!(
            "You became {} {} ago (given by {}), after this request was made: only people who \
             could decide it when it was asked may.",
            since.role,
            duration_words(seconds_between(&since.at, now)),
            since.giver()
        ));
    }
    let window = i64::from(window_days) * 86_400;
    let mut before: Option<Role> = None;
    for g in grants {
        let gave_more = match g.change {
            GrantChange::Created | GrantChange::Enabled => true,
            GrantChange::Role => before.is_none_or(|b| g.role > b),
            GrantChange::Disabled => false,
        };
        before = Some(g.role);
        let recent = seconds_between(&g.at, asked) <= window;
        if gave_more && recent && g.given_by(requester) {
            let how = if g.approved_by.as_deref() == Some(requester) {
                "with the approval of"
            } else {
                "by"
            };
            let what = match g.change {
                GrantChange::Created => "Your account was made".to_string(),
                GrantChange::Enabled => "You were enabled".to_string(),
                _ => format!("You were made {}", g.role),
            };
            return Err(format!(
                "{what} {how} {requester}, who asked, {} ago: four eyes need someone \
                 {requester} did not make able to decide.",
                duration_words(seconds_between(&g.at, now))
            ));
        }
    }
    Ok(since)
}

/// What the requester saw when asking: labelled facts (compared again
/// before executing) and the findings of the checks (shown, not compared:
/// "expires in 5 hours" changes by itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Snapshot {
    pub facts: Vec<(String, String)>,
    #[serde(default)]
    pub findings: Vec<String>,
}

impl Snapshot {
    /// Each fact of `self` that `now` no longer holds: "CIDR blocks are now
    /// 10.1.0.0/16 (were 10.0.0.0/16)".
    pub fn differences(&self, now: &Snapshot) -> Vec<String> {
        self.facts
            .iter()
            .filter_map(|(label, was)| {
                let is = now
                    .facts
                    .iter()
                    .find(|(l, _)| l == label)
                    .map(|(_, v)| v.as_str());
                match is {
                    Some(is) if is == was => None,
                    Some(is) => Some(format!("{label} is now {is} (was {was})")),
                    None => Some(format!("{label} is gone (was {was})")),
                }
            })
            .collect()
    }
}

/// The snapshot of a peering: what accepting or destroying it is about.
pub fn peering_snapshot(p: &Peering, findings: Vec<String>) -> Snapshot {
    let or_none = |v: &Option<String>| v.clone().filter(|s| !s.is_empty()).unwrap_or_default();
    Snapshot {
        facts: vec![
            ("PCX ID".into(), p.pcx_id.clone()),
            ("Requesting AWS account".into(), or_none(&p.aws_account_id)),
            ("VPC".into(), or_none(&p.aws_vpc_id)),
            ("Region".into(), or_none(&p.aws_region)),
            ("CIDR blocks".into(), p.all_cidrs().join(", ")),
            ("Status".into(), p.status.to_string()),
        ],
        findings,
    }
}

/// A peering the team expects, registered before its request arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedPeer {
    pub id: i64,
    pub space: String,
    pub aws_account_id: String,
    pub vpc_id: String,
    pub cidr: String,
    pub region: Option<String>,
    pub note: String,
    pub valid_until: String,
    pub created_by: String,
    pub created_at: String,
}

/// The longest note or ticket reference kept.
pub const NOTE_MAX: usize = 200;

/// An expected peer as an operator types it; parsed once, where it enters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewExpectedPeer {
    pub aws_account_id: String,
    pub vpc_id: String,
    pub cidr: String,
    pub region: Option<String>,
    pub note: String,
    /// RFC 3339, or a day (YYYY-MM-DD, valid through its end, UTC).
    pub valid_until: String,
}

impl NewExpectedPeer {
    /// The same, checked and in canonical form, or why not. `now` is RFC
    /// 3339: the expectation must end after it.
    pub fn parsed(self, now: &str) -> Result<Self, String> {
        let account = validate::aws_account_id(&self.aws_account_id)?.to_string();
        let vpc = validate::vpc_id(&self.vpc_id)?.to_string();
        let cidr = validate::cidr(&self.cidr)?.to_string();
        let region = match self.region.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r)
                if r.len() <= 32
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
            {
                Some(r.to_string())
            }
            Some(r) => return Err(format!("\"{r}\" is not an AWS region such as us-east-1.")),
        };
        let note = self.note.trim().to_string();
        if note.is_empty() {
            return Err("Say what this peering is for (a note or ticket reference).".into());
        }
        if note.chars().count() > NOTE_MAX {
            return Err(format!("A note is at most {NOTE_MAX} characters."));
        }
        validate::plain_text(&note, "A note", false)?;
        let until = self.valid_until.trim();
        let until = if until.len() == 10 {
            format!("{until}T23:59:59Z")
        } else {
            until.to_string()
        };
        match validate::seconds_until(&until, now) {
            None => {
                return Err(format!(
                    "\"{}\" is not a day (YYYY-MM-DD) or a time (RFC 3339).",
                    self.valid_until.trim()
                ));
            }
            Some(s) if s <= 0 => return Err("An expectation must end in the future.".into()),
            Some(s) if s > 366 * 86400 => {
                return Err("An expectation lasts a year at most.".into());
            }
            Some(_) => {}
        }
        Ok(Self {
            aws_account_id: account,
            vpc_id: vpc,
            cidr,
            region,
            note,
            valid_until: until,
        })
    }
}

/// The expected peer a request matches, if any: same account and VPC,
/// every CIDR it announces inside the expected one, the same region when
/// one was given, and not past its end at `now`.
pub fn expected_match<'a>(
    p: &Peering,
    expected: &'a [ExpectedPeer],
    now: &str,
) -> Option<&'a ExpectedPeer> {
    let cidrs: Vec<_> = p
        .all_cidrs()
        .iter()
        .filter_map(|c| validate::cidr(c).ok())
        .collect();
    expected.iter().find(|e| {
        let Ok(net) = validate::cidr(&e.cidr) else {
            return false;
        };
        p.aws_account_id.as_deref() == Some(e.aws_account_id.as_str())
            && p.aws_vpc_id.as_deref() == Some(e.vpc_id.as_str())
            && !cidrs.is_empty()
            && cidrs.len() == p.all_cidrs().len()
            && cidrs.iter().all(|c| net.contains(c))
            && e.region
                .as_deref()
                .is_none_or(|r| p.aws_region.as_deref() == Some(r))
            && validate::seconds_until(&e.valid_until, now).is_some_and(|s| s > 0)
    })
}

/// What a pending peering request is to the team: expected (with the
/// note), or from nobody they expected.
pub fn expectation_of(p: &Peering, expected: &[ExpectedPeer], now: &str) -> Option<Expectation> {
    (p.status == PeeringStatus::PendingAcceptance && !p.kind.is_provider_managed()).then(|| {
        match expected_match(p, expected, now) {
            Some(e) => Expectation::Expected(e.note.clone()),
            None => Expectation::Unexpected,
        }
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expectation {
    Expected(String),
    Unexpected,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PeeringType;

    fn peering(account: &str, vpc: &str, cidr: &str) -> Peering {
        Peering {
            kind: PeeringType::Unknown,
            pcx_id: "pcx-0123456789abcdef0".into(),
            cidr_blocks: vec![cidr.into()],
            cidr_block: None,
            status: PeeringStatus::PendingAcceptance,
            aws_vpc_id: Some(vpc.into()),
            aws_region: Some("us-east-1".into()),
            aws_account_id: Some(account.into()),
            expires: None,
        }
    }

    fn expected(account: &str, vpc: &str, cidr: &str, region: Option<&str>) -> ExpectedPeer {
        ExpectedPeer {
            id: 1,
            space: "s".into(),
            aws_account_id: account.into(),
            vpc_id: vpc.into(),
            cidr: cidr.into(),
            region: region.map(str::to_string),
            note: "JIRA-1".into(),
            valid_until: "2026-12-01T00:00:00Z".into(),
            created_by: "olga".into(),
            created_at: "2026-11-20T00:00:00Z".into(),
        }
    }

    const NOW: &str = "2026-11-23T00:00:00Z";

    #[test]
    fn a_request_matches_only_its_expectation() {
        let e = [expected(
            "123456789012",
            "vpc-0a1b2c3d",
            "10.100.0.0/16",
            None,
        )];
        let p = peering("123456789012", "vpc-0a1b2c3d", "10.100.0.0/16");
        assert!(expected_match(&p, &e, NOW).is_some());
        // A narrower block inside the expected one matches too.
        let p = peering("123456789012", "vpc-0a1b2c3d", "10.100.4.0/24");
        assert!(expected_match(&p, &e, NOW).is_some());
        for p in [
            peering("210987654321", "vpc-0a1b2c3d", "10.100.0.0/16"),
            peering("123456789012", "vpc-0fffffff", "10.100.0.0/16"),
            peering("123456789012", "vpc-0a1b2c3d", "10.0.0.0/8"),
        ] {
            assert!(expected_match(&p, &e, NOW).is_none(), "{p:?}");
        }
        // After its end, or in another region than named, no longer.
        let p = peering("123456789012", "vpc-0a1b2c3d", "10.100.0.0/16");
        assert!(expected_match(&p, &e, "2026-12-02T00:00:00Z").is_none());
        let e = [expected(
            "123456789012",
            "vpc-0a1b2c3d",
            "10.100.0.0/16",
            Some("eu-west-1"),
        )];
        assert!(expected_match(&p, &e, NOW).is_none());
    }

    #[test]
    fn the_default_policy_holds_back_accepts_and_destroys() {
        let p = Policy::default();
        assert_eq!(p.needs(AuditName::PeeringAccept), 1);
        assert_eq!(p.needs(AuditName::PeeringDestroy), 1);
        assert_eq!(p.needs(AuditName::PrivateLinkDestroy), 1);
        assert_eq!(p.needs(AuditName::PrivateLinkCreate), 0);
        assert!(p.check().is_ok());
        let mut bad = p.clone();
        bad.approvals.insert(AuditName::SignIn, 1);
        assert!(bad.check().is_err());
        let mut bad = p.clone();
        bad.approvals.insert(AuditName::PeeringAccept, 2);
        assert!(bad.check().is_err());
        let mut open = p.clone();
        open.approvals.insert(AuditName::PeeringAccept, 0);
        assert_eq!(p.changes_to(&open), "peering.accept 1 → 0");
        assert_eq!(p.changes_to(&p), "no change");
    }

    fn grant(change: GrantChange, role: Role, by: &str, at: &str) -> Grant {
        Grant {
            change,
            role,
            by: by.into(),
            approved_by: None,
            at: at.into(),
        }
    }

    #[test]
    fn standing_runs_from_the_grant_that_began_it_without_a_break() {
        use GrantChange::{Created, Disabled, Enabled};
        const CHANGED: GrantChange = GrantChange::Role;
        let made = grant(
            Created,
            Role::Operator,
            "command line",
            "2026-11-01T00:00:00Z",
        );
        let raised = grant(CHANGED, Role::Admin, "olga", "2026-11-10T00:00:00Z");
        let g = vec![made.clone(), raised.clone()];
        assert_eq!(standing(&g, Role::Operator), Some(&made));
        assert_eq!(standing(&g, Role::Admin), Some(&raised));
        // Disabled and enabled again: the standing starts again.
        let mut g2 = g.clone();
        g2.push(grant(Disabled, Role::Admin, "olga", "2026-11-11T00:00:00Z"));
        assert_eq!(standing(&g2, Role::Operator), None);
        let enabled = grant(Enabled, Role::Admin, "bob", "2026-11-12T00:00:00Z");
        g2.push(enabled.clone());
        assert_eq!(standing(&g2, Role::Operator), Some(&enabled));
        // Demoted below the role: no standing for it.
        let mut g3 = g.clone();
        g3.push(grant(CHANGED, Role::Viewer, "olga", "2026-11-13T00:00:00Z"));
        assert_eq!(standing(&g3, Role::Operator), None);
    }

    #[test]
    fn an_approver_counts_only_if_the_requester_did_not_make_them_lately() {
        use GrantChange::Created;
        const CHANGED: GrantChange = GrantChange::Role;
        let now = "2026-12-01T12:00:00Z";
        let asked = "2026-12-01T11:00:00Z";
        // Made by the command line a month ago: independent.
        let g = vec![grant(
            Created,
            Role::Admin,
            "command line",
            "2026-11-01T00:00:00Z",
        )];
        assert!(independence(&g, Role::Admin, "olga", asked, 7, now).is_ok());
        // Made admin by olga three days before she asked: not.
        let made = grant(
            Created,
            Role::Operator,
            "command line",
            "2026-11-01T00:00:00Z",
        );
        let g = vec![
            made.clone(),
            grant(CHANGED, Role::Admin, "olga", "2026-11-28T11:00:00Z"),
        ];
        let why = independence(&g, Role::Admin, "olga", asked, 7, now).unwrap_err();
        assert!(
            why.contains("You were made admin by olga, who asked"),
            "{why}"
        );
        // Nor for what an operator decides: any recent grant by the
        // requester ties the two, whatever the role it gave.
        assert!(independence(&g, Role::Operator, "olga", asked, 7, now).is_err());
        // Outside the window, it counts again.
        assert!(independence(&g, Role::Admin, "olga", asked, 2, now).is_ok());
        // Approved by olga is given by olga.
        let mut by_bob = grant(CHANGED, Role::Admin, "bob", "2026-11-28T11:00:00Z");
        by_bob.approved_by = Some("olga".into());
        let g = vec![made, by_bob];
        let why = independence(&g, Role::Admin, "olga", asked, 7, now).unwrap_err();
        assert!(why.contains("with the approval of olga"), "{why}");
        // Made able after the request, by anyone: not.
        let g = vec![grant(Created, Role::Admin, "bob", "2026-12-01T11:30:00Z")];
        let why = independence(&g, Role::Admin, "olga", asked, 7, now).unwrap_err();
        assert!(why.contains("30 minutes ago"), "{why}");
        assert!(why.contains("after this request was made"), "{why}");
        // Never held the role.
        let g = vec![grant(Created, Role::Viewer, "bob", "2026-11-01T00:00:00Z")];
        assert!(independence(&g, Role::Operator, "olga", asked, 7, now).is_err());
    }

    #[test]
    fn who_may_approve_changes_are_held_whenever_anything_is() {
        let p = Policy::default();
        assert!(p.decides(Role::Admin));
        assert!(p.decides(Role::Operator), "operators decide accepts");
        assert!(!p.decides(Role::Viewer));
        let mut destroys_only = p.clone();
        destroys_only.approvals.insert(AuditName::PeeringAccept, 0);
        assert!(!destroys_only.decides(Role::Operator));
        assert!(destroys_only.decides(Role::Admin));
        let mut open = p.clone();
        open.approvals.clear();
        assert!(!open.decides(Role::Admin));
        // A stored policy from before the window existed reads as 7 days.
        let old: Policy = serde_json::from_str(
            r#"{"approvals":{},"require_expected_peer":false,"lifetime_hours":24}"#,
        )
        .unwrap();
        assert_eq!(old.independence_days, INDEPENDENCE_DAYS);
    }

    #[test]
    fn a_changed_fact_is_named() {
        let p = peering("123456789012", "vpc-0a1b2c3d", "10.100.0.0/16");
        let was = peering_snapshot(&p, vec![]);
        let mut q = p.clone();
        q.cidr_blocks = vec!["10.101.0.0/16".into()];
        q.status = PeeringStatus::Provisioning;
        let d = was.differences(&peering_snapshot(&q, vec!["x".into()]));
        assert_eq!(
            d,
            vec![
                "CIDR blocks is now 10.101.0.0/16 (was 10.100.0.0/16)".to_string(),
                "Status is now provisioning (was pending-acceptance)".to_string(),
            ]
        );
        assert!(was.differences(&peering_snapshot(&p, vec![])).is_empty());
    }

    #[test]
    fn an_expected_peer_is_checked_where_it_enters() {
        let ok = NewExpectedPeer {
            aws_account_id: " 123456789012 ".into(),
            vpc_id: "vpc-0a1b2c3d".into(),
            cidr: "10.100.0.0/16".into(),
            region: Some("".into()),
            note: " JIRA-1 ".into(),
            valid_until: "2026-12-01".into(),
        };
        let parsed = ok.clone().parsed(NOW).unwrap();
        assert_eq!(parsed.aws_account_id, "123456789012");
        assert_eq!(parsed.region, None);
        assert_eq!(parsed.valid_until, "2026-12-01T23:59:59Z");
        let past = NewExpectedPeer {
            valid_until: "2026-11-01".into(),
            ..ok.clone()
        };
        assert!(past.parsed(NOW).unwrap_err().contains("future"));
        let no_note = NewExpectedPeer {
            note: " ".into(),
            ..ok.clone()
        };
        assert!(no_note.parsed(NOW).is_err());
        let bad_region = NewExpectedPeer {
            region: Some("Mars 1".into()),
            ..ok
        };
        assert!(bad_region.parsed(NOW).is_err());
    }
}
