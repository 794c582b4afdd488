//! `spaceport policy ...`: the approval policy from the command line, for
//! whoever sets a console up as code. A change goes through the executor
//! like the Settings page's, recorded with the actor `command line`; the
//! policy never holds the command line back (it holds the database file).

use crate::actions::Executor;
use crate::config::{PolicyAction, PolicyArgs};
use crate::user_command::{ACTOR, UserCommandError, close, open_executor};
use domain::access::Caller;
use domain::action::ApprovalAction;
use domain::kind::AuditName;
use domain::policy::{GATED, Policy};

/// `peering.accept=1` as a kind and a count.
fn assignment(text: &str) -> Result<(AuditName, u8), UserCommandError> {
    let bad = || {
        let kinds: Vec<&str> = GATED.iter().map(|n| n.as_str()).collect();
        UserCommandError::Input(format!(
            "\"{text}\" is not KIND=N; KIND is one of {}.",
            kinds.join(", ")
        ))
    };
    let (kind, n) = text.split_once('=').ok_or_else(bad)?;
    let kind: AuditName = kind.trim().parse().map_err(|_| bad())?;
    let n: u8 = n.trim().parse().map_err(|_| bad())?;
    Ok((kind, n))
}

fn print(policy: &Policy) {
    for kind in GATED {
        println!("{:<28} {}", kind.as_str(), policy.needs(kind));
    }
    println!(
        "{:<28} {}",
        "require expected peer", policy.require_expected_peer
    );
    println!("{:<28} {} h", "request lifetime", policy.lifetime_hours);
    println!(
        "{:<28} {} d",
        "independence window", policy.independence_days
    );
}

pub async fn run(args: PolicyArgs) -> Result<(), UserCommandError> {
    let executor = open_executor(&args.files).await?;
    let done = act(&executor, args.action).await;
    close(&executor).await;
    done
}

async fn act(executor: &Executor, action: PolicyAction) -> Result<(), UserCommandError> {
    let mut policy = executor
        .approvals()
        .policy()
        .await
        .map_err(|e| UserCommandError::Refused(e.into()))?;
    match action {
        PolicyAction::Show => print(&policy),
        PolicyAction::Set {
            approvals,
            require_expected_peer,
            lifetime_hours,
            independence_days,
        } => {
            for a in &approvals {
                let (kind, n) = assignment(a)?;
                policy.approvals.insert(kind, n);
            }
            if let Some(r) = require_expected_peer {
                policy.require_expected_peer = r;
            }
            if let Some(h) = lifetime_hours {
                policy.lifetime_hours = h;
            }
            if let Some(d) = independence_days {
                policy.independence_days = d;
            }
            let done = executor
                .run_local(
                    &Caller::system(ACTOR),
                    &ApprovalAction::SetPolicy { policy }.into(),
                )
                .await?;
            println!("{}", done.said());
        }
    }
    Ok(())
}
