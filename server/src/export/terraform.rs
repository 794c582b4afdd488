//! A space's peerings as Terraform: for each active, provisioning or
//! pending customer peering, the provider's accepter resource with an
//! `import` block (so what was accepted by clicking comes under
//! Terraform without a change), the space's peering-info data source,
//! and, as a commented template, the AWS side: the requester's peering
//! connection and one route per space CIDR.
//!
//! Every block is built with `hcl-rs`, which quotes and escapes the
//! values; the only text written by hand is the fixed comments, which
//! carry no value from the provider.

use domain::model::{Peering, PeeringInfo, PeeringStatus};
use hcl::expr::{Traversal, Variable};
use hcl::{Block, Body, Identifier};

const ACCEPTER: &str = "heroku_space_peering_connection_accepter";
const INFO: &str = "heroku_space_peering_info";

/// Whether the export writes a peering: the customer's peerings that are
/// or will soon be live.
pub fn exported(p: &Peering) -> bool {
    !p.kind.is_provider_managed()
        && matches!(
            p.status,
            PeeringStatus::Active | PeeringStatus::Provisioning | PeeringStatus::PendingAcceptance
        )
}

/// The Terraform (HCL) for `space`'s peerings.
pub fn render(space: &str, info: &PeeringInfo, peerings: &[Peering]) -> Result<String, hcl::Error> {
    let info_name = Identifier::sanitized(space);
    let data = Body::builder()
        .add_block(
            Block::builder("data")
                .add_label(INFO)
                .add_label(info_name.as_str())
                .add_attribute(("name", space))
                .build(),
        )
        .build();
    let mut out = String::new();
    out.push_str(
        "# Private Space peerings, written by Spaceport.\n\
         # `terraform plan` after `terraform init` should show the imports and no change.\n\n",
    );
    out.push_str(&hcl::to_string(&data)?);
    let chosen: Vec<&Peering> = peerings.iter().filter(|p| exported(p)).collect();
    if chosen.is_empty() {
        out.push_str("\n# No active or pending peering to export.\n");
    }
    for p in chosen {
        let name = Identifier::sanitized(&p.pcx_id);
        out.push('\n');
        if p.status == PeeringStatus::PendingAcceptance {
            out.push_str(
                "# Pending acceptance: accept it in Spaceport, where the team's policy applies;\n\
                 # until then this import only records it.\n",
            );
        }
        let accepter = Body::builder()
            .add_block(
                Block::builder("resource")
                    .add_label(ACCEPTER)
                    .add_label(name.as_str())
                    .add_attribute(("space", space))
                    .add_attribute(("vpc_peering_connection_id", p.pcx_id.as_str()))
                    .build(),
            )
            .add_block(import(ACCEPTER, &name, &p.pcx_id))
            .build();
        out.push_str(&hcl::to_string(&accepter)?);
        out.push_str(
            "\n# The AWS side, for the peer's own configuration: fill in the route table.\n",
        );
        out.push_str(&commented(&hcl::to_string(&aws_side(
            p, info, &info_name, &name,
        ))?));
    }
    Ok(out)
}

/// `import { to = KIND.NAME, id = "ID" }`.
fn import(kind: &str, name: &Identifier, id: &str) -> Block {
    let to = Traversal::builder(Variable::unchecked(kind))
        .attr(name.clone())
        .build();
    Block::builder("import")
        .add_attribute(("to", to))
        .add_attribute(("id", id))
        .build()
}

/// The requester's side of peering `p`: its peering connection (imported
/// by the same ID) and a route to each of the space's CIDRs through it.
fn aws_side(p: &Peering, info: &PeeringInfo, info_name: &Identifier, name: &Identifier) -> Body {
    let from_info = |attr: &str| {
        Traversal::builder(Variable::unchecked("data"))
            .attr(INFO)
            .attr(info_name.clone())
            .attr(attr)
            .build()
    };
    let connection = Block::builder("resource")
        .add_label("aws_vpc_peering_connection")
        .add_label(name.as_str())
        .add_attribute(("vpc_id", p.aws_vpc_id.as_deref().unwrap_or("vpc-PEER")))
        .add_attribute(("peer_owner_id", from_info("aws_account_id")))
        .add_attribute(("peer_vpc_id", from_info("vpc_id")))
        .add_attribute(("peer_region", from_info("aws_region")))
        .build();
    let via = Traversal::builder(Variable::unchecked("aws_vpc_peering_connection"))
        .attr(name.clone())
        .attr("id")
        .build();
    let cidrs = if info.space_cidr_blocks.is_empty() {
        vec![info.vpc_cidr.clone()]
    } else {
        info.space_cidr_blocks.clone()
    };
    let routes = cidrs.iter().map(|cidr| {
        Block::builder("resource")
            .add_label("aws_route")
            .add_label(Identifier::sanitized(format!("{name}_{cidr}")).as_str())
            .add_attribute(("route_table_id", "rtb-REPLACE-ME"))
            .add_attribute(("destination_cidr_block", cidr.as_str()))
            .add_attribute(("vpc_peering_connection_id", via.clone()))
            .build()
    });
    Body::builder()
        .add_block(connection)
        .add_block(import("aws_vpc_peering_connection", name, &p.pcx_id))
        .add_blocks(routes)
        .build()
}

/// `hcl` as comments, line by line. Its strings are escaped by the
/// crate, so no line break of a value can end a comment early.
fn commented(hcl: &str) -> String {
    hcl.lines()
        .map(|l| {
            if l.is_empty() {
                "#\n".to_string()
            } else {
                format!("# {l}\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::model::PeeringType;

    fn info() -> PeeringInfo {
        PeeringInfo {
            aws_account_id: "847227832372".into(),
            aws_region: "us-east-1".into(),
            vpc_id: "vpc-e291cc85".into(),
            vpc_cidr: "10.0.0.0/16".into(),
            dyno_cidr_blocks: vec![],
            space_cidr_blocks: vec!["10.0.0.0/20".into(), "10.0.16.0/20".into()],
            unavailable_cidr_blocks: vec![],
        }
    }

    fn peering(pcx: &str, status: PeeringStatus, kind: PeeringType) -> Peering {
        Peering {
            kind,
            pcx_id: pcx.into(),
            cidr_blocks: vec!["10.100.0.0/16".into()],
            cidr_block: None,
            status,
            aws_vpc_id: Some("vpc-0a1b2c3d".into()),
            aws_region: Some("us-east-1".into()),
            aws_account_id: Some("123456789012".into()),
            expires: None,
        }
    }

    #[test]
    fn only_live_customer_peerings_are_written_and_values_are_escaped() {
        let peerings = [
            peering(
                "pcx-111aaa111",
                PeeringStatus::Active,
                PeeringType::CustomerManaged,
            ),
            peering(
                "pcx-222",
                PeeringStatus::Deleted,
                PeeringType::CustomerManaged,
            ),
            peering("pcx-333", PeeringStatus::Active, PeeringType::HerokuManaged),
            // A value with a quote and a line break stays one string.
            peering(
                "pcx-\"evil\"\nresource",
                PeeringStatus::PendingAcceptance,
                PeeringType::CustomerManaged,
            ),
        ];
        let hcl = render("spaces-peering-example", &info(), &peerings).unwrap();
        assert!(
            hcl.contains("resource \"heroku_space_peering_connection_accepter\" \"pcx-111aaa111\""),
            "{hcl}"
        );
        assert!(
            hcl.contains("to = heroku_space_peering_connection_accepter.pcx-111aaa111"),
            "{hcl}"
        );
        assert!(
            !hcl.contains("pcx-222") && !hcl.contains("pcx-333"),
            "{hcl}"
        );
        assert!(
            hcl.contains(r#"vpc_peering_connection_id = "pcx-\"evil\"\nresource""#),
            "{hcl}"
        );
        // The template is all comments: two routes (one per space CIDR).
        assert_eq!(hcl.matches("# resource \"aws_route\"").count(), 4, "{hcl}");
        assert!(
            !hcl.lines().any(|l| l.starts_with("resource \"aws_")),
            "{hcl}"
        );
    }
}
