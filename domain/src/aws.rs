//! The AWS half of a peering, as commands with the space's and the
//! peering's values filled in: what the customer runs in their own account
//! once a peering is active (the provider cannot do any of it). From the
//! peering document: route either the whole VPC CIDR or each Space CIDR
//! (finding the route tables with `describe-route-tables`), and open the
//! security group and the network ACL to the dyno CIDRs.

use crate::model::{Peering, PeeringInfo};

/// Placeholders the customer replaces; everything else is filled in.
pub const PORT: &str = "PORT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringAwsHalf {
    /// Lists the route tables of the customer's VPC.
    pub route_tables: String,
    /// Option 1: one route for the space's whole VPC CIDR.
    pub whole_vpc_route: String,
    /// Option 2: one route per Space CIDR (the dynos' and load balancers'
    /// blocks), so nothing else of the /16 is routed.
    pub space_cidr_routes: Vec<String>,
    /// Inbound rules on the customer's security group, one per dyno CIDR.
    pub security_group: Vec<String>,
    /// Network ACL entries: inbound on the port, outbound on the ephemeral
    /// ports (ACLs are stateless), one pair per dyno CIDR.
    pub network_acl: Vec<String>,
}

/// The limits the peering document lists, for the page to say plainly.
pub const PEERING_LIMITS: [&str; 3] = [
    "Only your VPC's primary CIDR block is reachable; secondary CIDR blocks are not.",
    "No transitive routing: the space cannot reach other VPCs, VPNs or Direct Connect through your VPC, nor you through it.",
    "Data services (Postgres, Key-Value Store, Kafka) are not reachable over peering; use PrivateLink for them.",
];

pub fn peering_aws_half(info: &PeeringInfo, peering: &Peering) -> PeeringAwsHalf {
    let region = peering
        .aws_region
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| info.aws_region.clone());
    let vpc = peering
        .aws_vpc_id
        .clone()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "vpc-YOURS".into());
    let pcx = &peering.pcx_id;
    let route = |cidr: &str| {
        format!(
            "aws ec2 create-route --region {region} --route-table-id rtb-YOURS \
             --destination-cidr-block {cidr} --vpc-peering-connection-id {pcx}"
        )
    };
    let dyno = &info.dyno_cidr_blocks;
    PeeringAwsHalf {
        route_tables: format!(
            "aws ec2 describe-route-tables --region {region} --filters Name=vpc-id,Values={vpc} \
             --query 'RouteTables[].RouteTableId' --output text"
        ),
        whole_vpc_route: route(&info.vpc_cidr),
        space_cidr_routes: info.space_cidr_blocks.iter().map(|c| route(c)).collect(),
        security_group: dyno
            .iter()
            .map(|c| {
                format!(
                    "aws ec2 authorize-security-group-ingress --region {region} --group-id sg-YOURS \
                     --protocol tcp --port {PORT} --cidr {c}"
                )
            })
            .collect(),
        network_acl: dyno
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                let rule = 100 + i * 10;
                [
                    format!(
                        "aws ec2 create-network-acl-entry --region {region} --network-acl-id acl-YOURS \
                         --ingress --rule-number {rule} --protocol tcp --port-range From={PORT},To={PORT} \
                         --cidr-block {c} --rule-action allow"
                    ),
                    format!(
                        "aws ec2 create-network-acl-entry --region {region} --network-acl-id acl-YOURS \
                         --egress --rule-number {rule} --protocol tcp --port-range From=1024,To=65535 \
                         --cidr-block {c} --rule-action allow"
                    ),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_filled_in_from_the_space_and_the_peering() {
        let info = PeeringInfo {
            aws_account_id: "847227832372".into(),
            aws_region: "us-east-1".into(),
            vpc_id: "vpc-e291cc85".into(),
            vpc_cidr: "10.0.0.0/16".into(),
            dyno_cidr_blocks: vec!["10.0.128.0/20".into(), "10.0.144.0/20".into()],
            space_cidr_blocks: vec![
                "10.0.128.0/20".into(),
                "10.0.144.0/20".into(),
                "10.0.0.0/20".into(),
            ],
            unavailable_cidr_blocks: vec!["10.1.0.0/16".into()],
        };
        let peering: Peering = serde_json::from_value(serde_json::json!({
            "type": "customer-managed", "pcx_id": "pcx-111aaa111",
            "cidr_blocks": ["10.100.0.0/16"], "status": "active",
            "aws_vpc_id": "vpc-0a1b2c3d", "aws_region": "us-west-2",
            "aws_account_id": "123456789012", "expires": null
        }))
        .unwrap();
        let half = peering_aws_half(&info, &peering);
        assert!(half.route_tables.contains("Values=vpc-0a1b2c3d"));
        assert!(half.route_tables.contains("--region us-west-2"));
        assert!(
            half.whole_vpc_route
                .contains("--destination-cidr-block 10.0.0.0/16")
        );
        assert!(
            half.whole_vpc_route
                .contains("--vpc-peering-connection-id pcx-111aaa111")
        );
        assert_eq!(half.space_cidr_routes.len(), 3);
        assert!(half.space_cidr_routes[2].contains("10.0.0.0/20"));
        assert_eq!(half.security_group.len(), 2);
        assert!(half.security_group[1].contains("--cidr 10.0.144.0/20"));
        assert_eq!(half.network_acl.len(), 4);
        assert!(half.network_acl[1].contains("--egress") && half.network_acl[1].contains("1024"));
        assert!(half.network_acl[2].contains("--rule-number 110"));
    }
}
