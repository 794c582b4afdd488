//! The executor's arms for four eyes: asking, approving, rejecting,
//! withdrawing and expiring approval requests, the policy, and expected
//! peers. Approving re-reads what the request is about, compares it with
//! what the requester saw, and then (with the last approval needed) runs
//! the action it holds through the executor again, in the approver's name.

use super::{Changed, Checked, Executor, Prepared};
use crate::approvals::{self, NewRequest, Request, StoreError, Vote};
use domain::access::{Caller, Role};
use domain::action::{Action, ApprovalAction, Done, UserAction};
use domain::approval::ApprovalState;
use domain::error::AppError;
use domain::kind::AuditName;
use domain::policy::{Gate, Grant, GrantChange, Policy, Snapshot, independence};
use std::collections::{HashMap, HashSet};

/// The longest reason or comment kept.
const REASON_MAX: usize = 500;

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::AlreadyOpen(id) => AppError::Conflict(format!(
                "Approval #{id} already asks for this; decide or withdraw it first."
            )),
            StoreError::Database(_) | StoreError::Corrupt(..) => {
                tracing::error!(error = %e, "approval store failed");
                AppError::Internal
            }
        }
    }
}

/// Who could approve what: the policy, the enabled users, and every
/// user's grants (see `domain::policy::independence`), read together.
pub(crate) struct Deciders {
    pub policy: Policy,
    pub users: Vec<Caller>,
    pub grants: HashMap<String, Vec<Grant>>,
    /// The service users, enabled or not.
    pub services: HashSet<String>,
}

/// Who made (or approved making) the service user whose grants these are.
fn service_makers(grants: &[Grant]) -> Vec<String> {
    grants
        .iter()
        .filter(|g| g.change == GrantChange::Created)
        .flat_map(|g| std::iter::once(g.by.clone()).chain(g.approved_by.clone()))
        .collect()
}

impl Deciders {
    /// What an action of kind `kind` that `needs` approvals, asked for by
    /// `who` now, would wait for: how many of the users besides `who` hold
    /// the permission to give one and are independent of `who`. Pages ask
    /// it by kind, without making up an action.
    pub(crate) fn gate(&self, who: &str, kind: AuditName, needs: u8) -> Gate {
        let now = approvals::now();
        let least = kind.permission().map_or(Role::Viewer, |p| p.least_role());
        let no_grants = Vec::new();
        // A token's request is its maker's too; a token decides nothing.
        let makers = self.makers(who);
        let approvers = self
            .users
            .iter()
            .filter(|c| c.name != who && !c.service && !makers.contains(&c.name))
            .filter(|c| kind.permission().is_none_or(|p| c.can(p)))
            .filter(|c| {
                let grants = self.grants.get(&c.name).unwrap_or(&no_grants);
                independence(
                    grants,
                    least,
                    who,
                    &now,
                    self.policy.independence_days,
                    &now,
                )
                .is_ok()
            })
            .count() as u32;
        Gate {
            needs,
            approvers,
            by_admins: least == Role::Admin,
        }
    }

    /// Who made the token `who` acts through, if `who` is a service user.
    pub(crate) fn makers(&self, who: &str) -> Vec<String> {
        match self.grants.get(who) {
            Some(grants) if self.services.contains(who) => service_makers(grants),
            _ => Vec::new(),
        }
    }

    /// The same for a kind whose count the policy sets.
    pub(crate) fn gate_of(&self, who: &str, kind: AuditName) -> Gate {
        self.gate(who, kind, self.policy.needs(kind))
    }
}

/// A snapshot of plain facts, with no findings and no deadline.
fn facts(facts: Vec<(String, String)>) -> Result<(Snapshot, Option<String>), AppError> {
    Ok((
        Snapshot {
            facts,
            findings: vec![],
        },
        None,
    ))
}

/// What is never held, asked for all the same: an approval's own steps, a
/// reveal, what only the command line or a person's own session does.
fn never_held(kind: AuditName) -> Result<(Snapshot, Option<String>), AppError> {
    Err(AppError::Invalid(format!(
        "{kind} never waits for approval; nothing was asked."
    )))
}

/// "approved as admin, held since 2026-11-01T00:00:00Z (given by command
/// line)": the standing a decision was made in, for the history.
fn standing_words(decided: &str, standing: &Grant) -> String {
    format!(
        "{decided} as {}, held since {} (given by {})",
        standing.role,
        standing.at,
        standing.giver()
    )
}

/// A reason or comment, trimmed; required ones must say something.
fn words(text: &str, required: Option<&str>) -> Result<String, AppError> {
    let text = text.trim();
    if let Some(what) = required
        && text.is_empty()
    {
        return Err(AppError::Invalid(format!("{what}; nothing was done.")));
    }
    if text.chars().count() > REASON_MAX {
        return Err(AppError::Invalid(format!(
            "Keep it under {REASON_MAX} characters; nothing was done."
        )));
    }
    domain::validate::plain_text(text, "A reason or comment", true)
        .map_err(|e| AppError::Invalid(format!("{e} Nothing was done.")))?;
    Ok(text.to_string())
}

impl Executor {
    /// The request `id`, or "not found".
    async fn request(&self, id: i64) -> Result<Request, AppError> {
        self.approvals()
            .get(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("There is no approval request #{id}.")))
    }

    /// The policy, the users and their grants, read now.
    pub(crate) async fn deciders(&self) -> Result<Deciders, AppError> {
        let everyone = self.users().list().await?;
        Ok(Deciders {
            policy: self.approvals().policy().await?,
            services: everyone
                .iter()
                .filter(|u| u.service())
                .map(|u| u.name.clone())
                .collect(),
            users: everyone
                .iter()
                .filter(|u| !u.disabled)
                .map(|u| u.caller())
                .collect(),
            grants: self.users().all_grants().await?,
        })
    }

    /// How many approvals `action` needs before it may run: what the
    /// policy says of its kind, and for a change to who may approve
    /// (making, raising or enabling someone whose role could decide what
    /// the policy holds; loosening the policy) another admin whenever
    /// anything is held. Raising a count needs nobody.
    pub(crate) async fn needs(&self, action: &Action) -> Result<u8, AppError> {
        let policy = self.approvals().policy().await?;
        let role_of = async |name: &domain::ids::UserName| {
            Ok::<_, AppError>(self.users().by_name(name.as_str()).await?)
        };
        let by_policy = policy.needs(action.name());
        Ok(match action {
            Action::Approvals(a) => match a {
                ApprovalAction::SetPolicy { policy: new } => policy.change_needs(new),
                ApprovalAction::RequestApproval { .. }
                | ApprovalAction::Approve { .. }
                | ApprovalAction::Reject { .. }
                | ApprovalAction::Withdraw { .. }
                | ApprovalAction::ExpireApproval { .. }
                | ApprovalAction::ExpectPeer { .. }
                | ApprovalAction::ForgetPeer { .. } => by_policy,
            },
            Action::Users(u) => match u {
                UserAction::InviteUser { role, .. } => u8::from(policy.decides(*role)),
                UserAction::SetRole { name, role } => match role_of(name).await? {
                    Some(u) => u8::from(*role > u.role() && policy.decides(*role)),
                    None => 0,
                },
                UserAction::SetDisabled { name, disabled } => match role_of(name).await? {
                    Some(u) => u8::from(!disabled && u.disabled && policy.decides(u.role())),
                    None => 0,
                },
                // Made from the command line or at start-up (never held),
                // or a person's own session and password.
                UserAction::AddUser { .. }
                | UserAction::SetPassword { .. }
                | UserAction::RemoveDemoUsers
                | UserAction::SignIn { .. }
                | UserAction::SignOut { .. }
                // A token decides nothing, so making one changes nobody
                // who may approve.
                | UserAction::CreateToken { .. }
                | UserAction::RevokeToken { .. } => by_policy,
                // The identity provider decides roles; a sign-in waits
                // for nobody here.
                UserAction::ProviderSync { .. } => 0,
            },
            Action::Provider(_) | Action::Notifications(_) | Action::Audit(_) => by_policy,
        })
    }

    /// Marks every request whose time has run out, each as a recorded
    /// action of the console's own.
    pub async fn expire_due(&self) {
        let due = match self.approvals().due(&approvals::now()).await {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "expired approvals could not be read");
                return;
            }
        };
        let console = Caller::system("spaceport");
        for request in due {
            let expire = ApprovalAction::ExpireApproval { request }.into();
            if let Err(e) = Box::pin(self.run(&console, &expire)).await {
                tracing::debug!(request, error = %e, "approval not expired");
            }
        }
    }

    /// The inner action's check and what it is about right now: the
    /// snapshot, and the deadline of the thing itself (a peering
    /// request's expiry), if it has one.
    async fn inspect(
        &self,
        who: &Caller,
        inner: &Action,
    ) -> Result<(Checked, Snapshot, Option<String>), AppError> {
        let checked = Box::pin(self.check(who, inner)).await?;
        let (snapshot, deadline) = self.snapshot_of(inner, &checked).await?;
        Ok((checked, snapshot, deadline))
    }

    /// What `inner` is about right now, as a request keeps it (read fresh,
    /// never from a cache), and the deadline of the thing itself.
    pub(super) async fn snapshot_of(
        &self,
        inner: &Action,
        checked: &Checked,
    ) -> Result<(Snapshot, Option<String>), AppError> {
        let user = match inner {
            Action::Provider(p) => {
                return self.provider_snapshot(self.provider()?, p, checked).await;
            }
            Action::Approvals(a) => return self.approvals_snapshot(a, checked).await,
            Action::Notifications(_) | Action::Audit(_) => return never_held(inner.name()),
            Action::Users(u) => match u {
                UserAction::InviteUser { name, .. }
                | UserAction::SetRole { name, .. }
                | UserAction::SetDisabled { name, .. } => name,
                UserAction::AddUser { .. }
                | UserAction::SetPassword { .. }
                | UserAction::RemoveDemoUsers
                | UserAction::SignIn { .. }
                | UserAction::SignOut { .. }
                | UserAction::CreateToken { .. }
                | UserAction::RevokeToken { .. }
                | UserAction::ProviderSync { .. } => return never_held(inner.name()),
            },
        };
        let now = self.users().by_name(user.as_str()).await?;
        let (role, state) = match &now {
            None => ("none".to_string(), "no such user".to_string()),
            Some(u) => (
                u.role().to_string(),
                if u.disabled { "disabled" } else { "enabled" }.to_string(),
            ),
        };
        let mut out = vec![
            ("User".to_string(), user.to_string()),
            ("Role now".to_string(), role),
            ("Account".to_string(), state),
        ];
        if let Some(d) = inner.detail() {
            out.push(("Change".into(), d));
        }
        facts(out)
    }

    /// What an expected peer or policy change is about now.
    async fn approvals_snapshot(
        &self,
        inner: &ApprovalAction,
        checked: &Checked,
    ) -> Result<(Snapshot, Option<String>), AppError> {
        match inner {
            ApprovalAction::SetPolicy { policy } => {
                let now = self.approvals().policy().await?;
                facts(vec![
                    (
                        "Policy in force".into(),
                        serde_json::to_string(&now.clone().normalised()).unwrap_or_default(),
                    ),
                    ("Change".into(), now.changes_to(policy)),
                ])
            }
            ApprovalAction::ForgetPeer { id } => {
                let e = self.approvals().expectation(*id).await?;
                facts(vec![(
                    "Expected peer".into(),
                    e.map_or_else(
                        || "gone".into(),
                        |e| format!("{} {} {}: {}", e.aws_account_id, e.vpc_id, e.cidr, e.note),
                    ),
                )])
            }
            ApprovalAction::ExpectPeer { .. } => facts(vec![(
                "Expected peer".into(),
                checked.detail.clone().unwrap_or_default(),
            )]),
            ApprovalAction::RequestApproval { .. }
            | ApprovalAction::Approve { .. }
            | ApprovalAction::Reject { .. }
            | ApprovalAction::Withdraw { .. }
            | ApprovalAction::ExpireApproval { .. } => never_held(inner.name()),
        }
    }

    /// Refuses what cannot be asked for or decided now.
    pub(super) async fn check_approval(
        &self,
        who: &Caller,
        action: &ApprovalAction,
    ) -> Result<Checked, AppError> {
        match action {
            ApprovalAction::RequestApproval {
                action: inner,
                reason,
            } => {
                let reason = words(reason, Some("Say why this should be done"))?;
                let kind = inner.name();
                if matches!(
                    **inner,
                    Action::Approvals(ApprovalAction::RequestApproval { .. })
                ) {
                    return Err(AppError::Invalid(format!(
                        "{kind} cannot wait for approval."
                    )));
                }
                let deciders = self.deciders().await?;
                let policy = &deciders.policy;
                let gate = deciders.gate(&who.name, kind, self.needs(inner).await?);
                if gate.needs == 0 {
                    return Err(AppError::Conflict(format!(
                        "The policy lets {kind} be done without approval; do it directly."
                    )));
                }
                if let Some(why) = gate.deadlock(kind.as_str()) {
                    return Err(AppError::Conflict(why));
                }
                if let Some(open) = self.approvals().open_for(kind, &inner.target()).await? {
                    return Err(AppError::Conflict(format!(
                        "Approval #{} (asked for by {}) already asks for this; decide or \
                         withdraw it first.",
                        open.id, open.requester
                    )));
                }
                let (checked, snapshot, deadline) = self.inspect(who, inner).await?;
                let mut expires = approvals::stamp(
                    time::OffsetDateTime::now_utc()
                        + time::Duration::hours(i64::from(policy.lifetime_hours)),
                );
                // The provider's own deadline, in the one stored form (it
                // may send fractions or an offset, which do not sort as text).
                let deadline = deadline
                    .and_then(|d| {
                        time::OffsetDateTime::parse(
                            &d,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    })
                    .map(approvals::stamp);
                if let Some(d) = deadline.filter(|d| *d < expires) {
                    expires = d;
                }
                Ok(Checked {
                    space: checked.space,
                    detail: Some(format!("{kind}: {reason}")),
                    approval: Some(Prepared {
                        snapshot,
                        expires_at: expires,
                        needs: gate.needs,
                    }),
                    ..Checked::default()
                })
            }
            ApprovalAction::Approve { request, comment } => {
                let comment = words(comment, None)?;
                self.expire_due().await;
                let r = self.request(*request).await?;
                let grants = self.grants_of(who).await?;
                let makers = self.makers(&r.requester).await?;
                let policy = self.approvals().policy().await?;
                let standing = self.decidable(who, &r, &grants, &makers, &policy)?;
                if r.approvals.contains(&who.name) {
                    return Err(AppError::Conflict(format!(
                        "You approved #{} already; it waits for {} more.",
                        r.id,
                        usize::from(r.needed).saturating_sub(r.approvals.len())
                    )));
                }
                // What it is about now, against what the requester saw.
                let (checked, now, _) = self.inspect(who, &r.action).await?;
                let changed = r.snapshot.differences(&now);
                if !changed.is_empty() {
                    return Err(AppError::Conflict(format!(
                        "Not approved: what #{} asks for changed since it was asked: {}. \
                         Nothing was done; reject it, and ask again if it is still wanted.",
                        r.id,
                        changed.join("; ")
                    )));
                }
                let mut detail = format!("{} {}, asked for by {}", r.kind, r.target, r.requester);
                if !comment.is_empty() {
                    detail.push_str(&format!(": {comment}"));
                }
                // In what standing: the history shows at a glance whether
                // the two pairs of eyes were independent.
                detail.push_str(&format!("; {}", standing_words("approved", &standing)));
                Ok(Checked {
                    space: checked.space,
                    detail: Some(detail),
                    approver: Some(standing),
                    ..Checked::default()
                })
            }
            ApprovalAction::Reject { request, reason } => {
                let reason = words(reason, Some("Say why it is rejected"))?;
                self.expire_due().await;
                let r = self.request(*request).await?;
                let grants = self.grants_of(who).await?;
                let makers = self.makers(&r.requester).await?;
                let policy = self.approvals().policy().await?;
                let standing = self.decidable(who, &r, &grants, &makers, &policy)?;
                Ok(Checked {
                    space: r.space,
                    detail: Some(format!(
                        "{} {}: {reason}; {}",
                        r.kind,
                        r.target,
                        standing_words("rejected", &standing)
                    )),
                    ..Checked::default()
                })
            }
            ApprovalAction::Withdraw { request } | ApprovalAction::ExpireApproval { request } => {
                let r = self.request(*request).await?;
                if r.state != ApprovalState::Pending {
                    return Err(AppError::Conflict(format!(
                        "Approval #{} is {}; nothing was done.",
                        r.id,
                        r.state.as_str()
                    )));
                }
                if matches!(action, ApprovalAction::Withdraw { .. }) && r.requester != who.name {
                    return Err(AppError::Forbidden(format!(
                        "Only {}, who asked for #{}, may withdraw it.",
                        r.requester, r.id
                    )));
                }
                if matches!(action, ApprovalAction::ExpireApproval { .. })
                    && !r.expired_at(&approvals::now())
                {
                    return Err(AppError::Conflict(format!(
                        "Approval #{} runs until {}.",
                        r.id, r.expires_at
                    )));
                }
                Ok(Checked {
                    space: r.space,
                    detail: Some(format!("{} {}", r.kind, r.target)),
                    ..Checked::default()
                })
            }
            ApprovalAction::SetPolicy { policy } => {
                policy.check().map_err(AppError::Invalid)?;
                let now = self.approvals().policy().await?;
                Ok(Checked {
                    detail: Some(now.changes_to(policy)),
                    ..Checked::default()
                })
            }
            ApprovalAction::ExpectPeer { space, peer } => {
                let peer = peer
                    .clone()
                    .parsed(&approvals::now())
                    .map_err(AppError::Invalid)?;
                let space = match self.gateway() {
                    Some(g) => g.space_named(space).await?,
                    None => space.to_string(),
                };
                Ok(Checked {
                    space,
                    detail: Some(format!(
                        "{} {} {}{} until {}: {}",
                        peer.aws_account_id,
                        peer.vpc_id,
                        peer.cidr,
                        peer.region.map(|r| format!(" in {r}")).unwrap_or_default(),
                        peer.valid_until,
                        peer.note
                    )),
                    ..Checked::default()
                })
            }
            ApprovalAction::ForgetPeer { id } => {
                let e = self.approvals().expectation(*id).await?.ok_or_else(|| {
                    AppError::NotFound(format!("There is no active expected peer #{id}."))
                })?;
                Ok(Checked {
                    space: e.space,
                    detail: Some(format!(
                        "{} {} {}: {}",
                        e.aws_account_id, e.vpc_id, e.cidr, e.note
                    )),
                    ..Checked::default()
                })
            }
        }
    }

    /// Refuses a decision on `r` by `who`: it must be pending and in time,
    /// not theirs (nor asked for by a token they made: `makers` are those
    /// of the requester's token, if it is one), and about something their
    /// role may do.
    pub(crate) fn decidable(
        &self,
        who: &Caller,
        r: &Request,
        grants: &[Grant],
        makers: &[String],
        policy: &Policy,
    ) -> Result<Grant, AppError> {
        if r.state != ApprovalState::Pending {
            let by = r
                .decided_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default();
            return Err(AppError::Conflict(format!(
                "Approval #{} is {}{by}; it can no longer be decided.",
                r.id,
                r.state.as_str()
            )));
        }
        if r.expired_at(&approvals::now()) {
            return Err(AppError::Conflict(format!(
                "Approval #{} expired at {}; it can no longer be approved. Ask again if it is \
                 still wanted.",
                r.id, r.expires_at
            )));
        }
        if r.requester == who.name {
            return Err(AppError::Forbidden(format!(
                "You asked for #{}; another person must decide it (you may withdraw it).",
                r.id
            )));
        }
        if makers.contains(&who.name) {
            return Err(AppError::Forbidden(format!(
                "#{} was asked for by the token {}, which you made: it acts for you, so another \
                 person must decide it.",
                r.id, r.requester
            )));
        }
        r.action.authorise(who)?;
        // Four eyes only if the second pair is independent of the first.
        let least = r
            .action
            .name()
            .permission()
            .map_or(Role::Viewer, |p| p.least_role());
        independence(
            grants,
            least,
            &r.requester,
            &r.requested_at,
            policy.independence_days,
            &approvals::now(),
        )
        .cloned()
        .map_err(AppError::Forbidden)
    }

    /// Who made the token `name` acts through, and who approved making
    /// it, if `name` is a service user; nobody for a person.
    pub(crate) async fn makers(&self, name: &str) -> Result<Vec<String>, AppError> {
        let Some(u) = self.users().by_name(name).await? else {
            return Ok(Vec::new());
        };
        if !u.service() {
            return Ok(Vec::new());
        }
        Ok(service_makers(&self.users().grants_of(u.id).await?))
    }

    /// `who`'s grants, read now.
    pub(crate) async fn grants_of(&self, who: &Caller) -> Result<Vec<Grant>, AppError> {
        match self.users().by_name(&who.name).await? {
            Some(u) => Ok(self.users().grants_of(u.id).await?),
            None => Ok(Vec::new()),
        }
    }

    /// Makes the one change the approval action is.
    pub(super) async fn change_approval(
        &self,
        who: &Caller,
        action: &ApprovalAction,
        checked: &Checked,
    ) -> Changed {
        let store = self.approvals();
        let fail = |e: StoreError| Changed::failed(e.into());
        match action {
            ApprovalAction::RequestApproval {
                action: inner,
                reason,
            } => {
                let Some(p) = &checked.approval else {
                    return Changed::failed(AppError::Internal);
                };
                let new = NewRequest {
                    action: inner,
                    space: &checked.space,
                    requester: &who.name,
                    reason: reason.trim(),
                    snapshot: &p.snapshot,
                    needed: p.needs,
                    expires_at: &p.expires_at,
                };
                match store.insert(new).await {
                    Ok(id) => {
                        let said = format!(
                            "Asked for approval #{id}: {} {} waits for another person until {}.",
                            inner.name(),
                            inner.target(),
                            p.expires_at
                        );
                        Changed::ok(Done::Asked(said.clone()), said)
                    }
                    Err(e) => fail(e),
                }
            }
            ApprovalAction::Approve { request, comment } => {
                let standing = checked.approver.as_ref();
                match store
                    .vote(*request, &who.name, comment.trim(), standing)
                    .await
                {
                    Ok(Vote::Decisive) => self.execute(who, *request).await,
                    Ok(Vote::Counted { have, needed }) => {
                        let said =
                            format!("Approved #{request} ({have} of {needed}); it waits for more.");
                        Changed::ok(Done::Said(said.clone()), said)
                    }
                    Ok(Vote::Repeated) => Changed::failed(AppError::Conflict(format!(
                        "You approved #{request} already."
                    ))),
                    Ok(Vote::TooLate) => Changed::failed(self.too_late(*request).await),
                    Err(e) => fail(e),
                }
            }
            ApprovalAction::Reject { request, reason } => {
                self.close(
                    *request,
                    ApprovalState::Rejected,
                    &who.name,
                    Some(reason.trim()),
                )
                .await
            }
            ApprovalAction::Withdraw { request } => {
                self.close(*request, ApprovalState::Withdrawn, &who.name, None)
                    .await
            }
            ApprovalAction::ExpireApproval { request } => {
                self.close(*request, ApprovalState::Expired, &who.name, None)
                    .await
            }
            ApprovalAction::SetPolicy { policy } => {
                match store.set_policy(&policy.clone().normalised()).await {
                    Ok(()) => {
                        let said = format!(
                            "Policy changed: {}.",
                            checked.detail.as_deref().unwrap_or("no change")
                        );
                        Changed::ok(Done::Said(said.clone()), said)
                    }
                    Err(e) => fail(e),
                }
            }
            ApprovalAction::ExpectPeer { peer, .. } => {
                let peer = match peer.clone().parsed(&approvals::now()) {
                    Ok(p) => p,
                    Err(e) => return Changed::failed(AppError::Invalid(e)),
                };
                match store.expect(&checked.space, &peer, &who.name).await {
                    Ok(id) => {
                        let said = format!("Expecting peer #{id}: {}.", peer.note);
                        Changed::ok(Done::Said(said.clone()), said)
                    }
                    Err(e) => fail(e),
                }
            }
            ApprovalAction::ForgetPeer { id } => match store.forget(*id).await {
                Ok(true) => {
                    let said = format!("Forgot expected peer #{id}.");
                    Changed::ok(Done::Said(said.clone()), said)
                }
                Ok(false) => Changed::failed(AppError::Conflict(format!(
                    "Expected peer #{id} is no longer active."
                ))),
                Err(e) => fail(e),
            },
        }
    }

    /// Why an approval came too late: who decided first, or the clock.
    async fn too_late(&self, id: i64) -> AppError {
        match self.approvals().get(id).await {
            Ok(Some(r)) if r.state == ApprovalState::Pending => AppError::Conflict(format!(
                "Approval #{id} expired at {}; it can no longer be approved.",
                r.expires_at
            )),
            Ok(Some(r)) => AppError::Conflict(format!(
                "Approval #{id} was {} first{}; nothing more was done.",
                r.state.as_str(),
                r.decided_by.map(|b| format!(" by {b}")).unwrap_or_default()
            )),
            Ok(None) => AppError::NotFound(format!("There is no approval request #{id}.")),
            Err(e) => e.into(),
        }
    }

    async fn close(&self, id: i64, to: ApprovalState, by: &str, comment: Option<&str>) -> Changed {
        match self.approvals().close(id, to, by, comment).await {
            Ok(true) => {
                let said = format!("Approval #{id} is {}.", to.as_str());
                Changed::ok(Done::Said(said.clone()), said)
            }
            Ok(false) => Changed::failed(self.too_late(id).await),
            Err(e) => Changed::failed(e.into()),
        }
    }

    /// Runs the action of request `id`, which `who` just approved for the
    /// last time, and keeps what it led to on the request.
    async fn execute(&self, who: &Caller, id: i64) -> Changed {
        let r = match self.request(id).await {
            Ok(r) => r,
            Err(e) => return Changed::failed(e),
        };
        let result = Box::pin(self.run_approved(who, &r)).await;
        let (ok, said) = match &result {
            Ok(done) => (true, done.said()),
            Err(e) => (false, e.to_string()),
        };
        if let Err(e) = self.approvals().finish(id, ok, &said).await {
            tracing::error!(request = id, error = %e, "an executed approval's outcome was not kept");
        }
        let message = format!("Approved #{id}: {said}");
        Changed {
            outcome: crate::audit::Outcome::local(ok, message.clone()),
            // An approved invitation's one-time password goes to the
            // approver, who carried it out, once; never to the history.
            result: result.map(|done| match done {
                Done::Invited(mut invited) => {
                    invited.message = format!("Approved #{id}: {}", invited.message);
                    Done::Invited(invited)
                }
                Done::Peering(_)
                | Done::PrivateLink(_)
                | Done::Url(_)
                | Done::User(_)
                | Done::WebhookAdded(_)
                | Done::Token(_)
                | Done::Said(_)
                | Done::Asked(_) => Done::Said(message),
            }),
        }
    }
}
