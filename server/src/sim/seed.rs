//! The simulated provider's demo data: the space of the peering seed
//! document, and three more spaces whose peerings cover every status.

use super::wire::{Named, Peering, PeeringInfo, PeeringStatus, PeeringType, Space};
use super::world::{SimPeering, SimSpace, Timing, World, format_time};
use time::{Duration, OffsetDateTime};

struct SpaceSeed {
    id: &'static str,
    name: &'static str,
    region: &'static str,
    shield: bool,
    account: &'static str,
    vpc_id: &'static str,
    /// The second octet of the space's 10.x.0.0/16.
    octet: u8,
}

fn space(s: &SpaceSeed, now: OffsetDateTime) -> (Space, PeeringInfo) {
    let o = s.octet;
    let blocks: Vec<String> = [128, 144, 0, 16]
        .iter()
        .map(|third| format!("10.{o}.{third}.0/20"))
        .collect();
    let created = format_time(now - Duration::days(400));
    (
        Space {
            id: s.id.into(),
            name: s.name.into(),
            region: Named {
                name: region_slug(s.region).into(),
            },
            state: "allocated".into(),
            shield: s.shield,
            cidr: Some(format!("10.{o}.0.0/16")),
            data_cidr: Some(format!("10.{}.0.0/16", o + 1)),
            team: Some(Named {
                name: "acme-platform".into(),
            }),
            created_at: created.clone(),
            updated_at: created,
        },
        PeeringInfo {
            aws_account_id: s.account.into(),
            aws_region: s.region.into(),
            vpc_id: s.vpc_id.into(),
            vpc_cidr: format!("10.{o}.0.0/16"),
            dyno_cidr_blocks: blocks.clone(),
            space_cidr_blocks: blocks,
            unavailable_cidr_blocks: vec![format!("10.{}.0.0/16", o + 1)],
        },
    )
}

/// The provider names regions by city; AWS by code.
fn region_slug(aws: &str) -> &'static str {
    match aws {
        "us-east-1" => "virginia",
        "eu-west-1" => "dublin",
        "ap-northeast-1" => "tokyo",
        _ => "oregon",
    }
}

struct PeeringSeed {
    pcx: &'static str,
    kind: PeeringType,
    cidr: &'static str,
    status: PeeringStatus,
    account: &'static str,
    vpc: &'static str,
    expires_in: Option<Duration>,
}

fn peering(p: PeeringSeed, region: &str, now: OffsetDateTime) -> SimPeering {
    let managed = p.kind.is_provider_managed();
    let masked = |v: &str| {
        Some(if managed {
            "******".to_string()
        } else {
            v.to_string()
        })
    };
    SimPeering::new(
        Peering {
            kind: p.kind,
            pcx_id: if managed {
                "******".into()
            } else {
                p.pcx.into()
            },
            cidr_blocks: vec![p.cidr.into()],
            cidr_block: None,
            status: p.status,
            aws_vpc_id: masked(p.vpc),
            aws_region: masked(region),
            aws_account_id: masked(p.account),
            expires: p.expires_in.map(|d| format_time(now + d)),
        },
        now,
    )
}

fn managed(cidr: &'static str) -> PeeringSeed {
    PeeringSeed {
        pcx: "",
        kind: PeeringType::HerokuManaged,
        cidr,
        status: PeeringStatus::Active,
        account: "",
        vpc: "",
        expires_in: None,
    }
}

fn customer(
    pcx: &'static str,
    cidr: &'static str,
    status: PeeringStatus,
    account: &'static str,
    vpc: &'static str,
) -> PeeringSeed {
    let kind = match status {
        PeeringStatus::PendingAcceptance | PeeringStatus::InitiatingRequest => PeeringType::Unknown,
        _ => PeeringType::CustomerManaged,
    };
    PeeringSeed {
        pcx,
        kind,
        cidr,
        status,
        account,
        vpc,
        expires_in: None,
    }
}

pub fn world(now: OffsetDateTime, timing: Timing) -> World {
    use PeeringStatus::*;
    let day = Duration::days(1);
    let spaces = [
        (
            SpaceSeed {
                id: "7f1c6a42-5b1e-4d8a-9a4e-0c2f3b9d1e01",
                name: "spaces-peering-example",
                region: "us-east-1",
                shield: false,
                account: "847227832372",
                vpc_id: "vpc-e291cc85",
                octet: 0,
            },
            vec![
                PeeringSeed {
                    expires_in: Some(7 * day),
                    ..customer(
                        "pcx-111aaa111",
                        "10.100.0.0/16",
                        PendingAcceptance,
                        "123456789012",
                        "vpc-0a1b2c3d",
                    )
                },
                managed("10.1.0.0/16"),
            ],
        ),
        (
            SpaceSeed {
                id: "2b8e0d5c-93a1-4f6e-8c57-6d4a1e2f3a02",
                name: "acme-prod-tokyo",
                region: "ap-northeast-1",
                shield: true,
                account: "847227832372",
                vpc_id: "vpc-3c9d2e1f",
                octet: 2,
            },
            vec![
                customer(
                    "pcx-0a1b2c3d4e5f60718",
                    "10.110.0.0/16",
                    Active,
                    "123456789012",
                    "vpc-0110aa11bb22cc33d",
                ),
                customer(
                    "pcx-0b2c3d4e5f6071829",
                    "10.111.0.0/16",
                    Active,
                    "123456789012",
                    "vpc-0111aa11bb22cc33d",
                ),
                customer(
                    "pcx-0c3d4e5f607182930",
                    "10.112.0.0/16",
                    Provisioning,
                    "123456789012",
                    "vpc-0112aa11bb22cc33d",
                ),
                PeeringSeed {
                    // Expires within a day: the overview and the page warn.
                    expires_in: Some(Duration::hours(20)),
                    ..customer(
                        "pcx-0d4e5f60718293a41",
                        "10.113.0.0/16",
                        PendingAcceptance,
                        "345678901234",
                        "vpc-0113aa11bb22cc33d",
                    )
                },
                managed("10.3.0.0/16"),
            ],
        ),
        (
            SpaceSeed {
                id: "c4d2a9e7-1f3b-4a5c-8e6d-9b0a1c2d3e03",
                name: "acme-staging",
                region: "eu-west-1",
                shield: false,
                account: "847227832372",
                vpc_id: "vpc-5e6f7a8b",
                octet: 4,
            },
            vec![
                customer(
                    "pcx-0e5f60718293a4b52",
                    "10.120.0.0/16",
                    Failed,
                    "123456789012",
                    "vpc-0120aa11bb22cc33d",
                ),
                PeeringSeed {
                    expires_in: Some(-2 * day),
                    ..customer(
                        "pcx-0f60718293a4b5c63",
                        "10.121.0.0/16",
                        Expired,
                        "456789012345",
                        "vpc-0121aa11bb22cc33d",
                    )
                },
                customer(
                    "pcx-1071829304a5b6c74",
                    "10.122.0.0/16",
                    Rejected,
                    "456789012345",
                    "vpc-0122aa11bb22cc33d",
                ),
                customer(
                    "pcx-118293a4b5c6d7e85",
                    "10.123.0.0/16",
                    Deleted,
                    "123456789012",
                    "vpc-0123aa11bb22cc33d",
                ),
                customer(
                    "pcx-1293a4b5c6d7e8f96",
                    "10.124.0.0/16",
                    Deleting,
                    "123456789012",
                    "vpc-0124aa11bb22cc33d",
                ),
                customer(
                    "pcx-13a4b5c6d7e8f9a07",
                    "10.125.0.0/16",
                    InitiatingRequest,
                    "567890123456",
                    "vpc-0125aa11bb22cc33d",
                ),
                customer(
                    "pcx-14b5c6d7e8f9a0b18",
                    "10.126.0.0/16",
                    Active,
                    "123456789012",
                    "vpc-0126aa11bb22cc33d",
                ),
                managed("10.5.0.0/16"),
            ],
        ),
        (
            SpaceSeed {
                id: "e9f8a7b6-c5d4-4e3f-a2b1-0c9d8e7f6a04",
                name: "data-platform-eu",
                region: "eu-west-1",
                shield: true,
                account: "847227832372",
                vpc_id: "vpc-7a8b9c0d",
                octet: 6,
            },
            vec![
                // From the range every space reserves: AWS leaves it pending,
                // the console blocks it, and the provider refuses to accept it.
                PeeringSeed {
                    expires_in: Some(5 * day),
                    ..customer(
                        "pcx-15c6d7e8f9a0b1c29",
                        "172.17.8.0/24",
                        PendingAcceptance,
                        "678901234567",
                        "vpc-0127aa11bb22cc33d",
                    )
                },
                managed("10.7.0.0/16"),
            ],
        ),
    ];
    let spaces = spaces
        .into_iter()
        .map(|(s, peerings)| {
            let (space, info) = space(&s, now);
            let peerings = peerings
                .into_iter()
                .map(|p| {
                    let status = p.status.clone();
                    let mut sim = peering(p, s.region, now);
                    // Rows seeded mid-transition finish it like any other.
                    sim.next = match status {
                        Provisioning => Some((now + timing.provisioning, Active)),
                        Deleting => Some((now + timing.deleting, Deleted)),
                        InitiatingRequest => Some((now + timing.request_lag, PendingAcceptance)),
                        _ => None,
                    };
                    sim
                })
                .collect();
            SimSpace {
                space,
                info,
                peerings,
            }
        })
        .collect();
    World {
        spaces,
        timing,
        deferred: Vec::new(),
    }
}

/// The data add-ons: the PrivateLink seed document's app and Redis add-on
/// (operational, with its endpoint and URL config var), a Postgres add-on
/// without a PrivateLink, and a Kafka add-on whose PrivateLink is still
/// provisioning; plus an app outside any space.
pub fn data_world(now: OffsetDateTime, timing: super::data::DataTiming) -> super::data::DataWorld {
    use super::data::{DataWorld, SimApp, SimLink};
    use crate::sim::rules::endpoint_config_var;
    use crate::sim::wire::{
        Addon, AllowedAccount, App, EndpointConnection, PrivateLink, PrivateLinkStatus,
    };
    use std::collections::BTreeMap;

    let named = |n: &str| Named { name: n.into() };
    let addon = |id: &str, name: &str, service: &str, plan: &str, app: &str, vars: &[&str]| Addon {
        id: id.into(),
        name: name.into(),
        addon_service: named(service),
        plan: named(plan),
        app: named(app),
        state: "provisioned".into(),
        config_vars: vars.iter().map(|v| v.to_string()).collect(),
    };
    const DEMO: &str = "privatelink-vpc-endpoint-demo";
    const ENDPOINT: &str = "vpce-01c87ae3c05563935";
    const HOST: &str =
        "vpce-01c87ae3c05563935-abcd.vpce-svc-0410a2e25933fe8ec.us-east-1.vpce.amazonaws.com";
    let mut demo_vars = BTreeMap::new();
    demo_vars.insert(
        "REDIS_URL".to_string(),
        "rediss://default:p8f3c1e0a9b7d6e5@ec2-3-93-20-1.compute-1.amazonaws.com:6380".to_string(),
    );
    demo_vars.insert(
        endpoint_config_var("REDIS", ENDPOINT),
        format!("rediss://default:p8f3c1e0a9b7d6e5@{HOST}:6379"),
    );
    // A second Redis, attached as CACHE, whose PrivateLink answers carry
    // nulls (see `SimLink::sparse`).
    const CACHE_ENDPOINT: &str = "vpce-0a1b2c3d4e5f60718";
    const CACHE_HOST: &str =
        "vpce-0a1b2c3d4e5f60718-wxyz.vpce-svc-0c0ffee0c0ffee000.us-east-1.vpce.amazonaws.com";
    demo_vars.insert(
        "CACHE_URL".to_string(),
        "rediss://default:c4c8e9f1a2b3d4e5@ec2-3-93-20-2.compute-1.amazonaws.com:6380".to_string(),
    );
    demo_vars.insert(
        endpoint_config_var("CACHE", CACHE_ENDPOINT),
        format!("rediss://default:c4c8e9f1a2b3d4e5@{CACHE_HOST}:6379"),
    );
    demo_vars.insert(
        "DATABASE_URL".to_string(),
        "postgres://u1a2b3c:pd4e5f6a7b8c9@ip-10-1-2-3.ec2.internal:5432/d9e8f7".to_string(),
    );
    demo_vars.insert(
        "KAFKA_URL".to_string(),
        "kafka+ssl://ip-10-1-4-5.ec2.internal:9096".to_string(),
    );
    let apps = vec![
        SimApp {
            app: App {
                id: "5c1e2a3b-4d5f-4a6b-8c7d-9e0f1a2b3c11".into(),
                name: DEMO.into(),
                space: Some(named("spaces-peering-example")),
                region: Some(named("virginia")),
            },
            addons: vec![
                addon(
                    "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01",
                    "redis-sushi-12345",
                    "heroku-redis",
                    "heroku-redis:private-7",
                    DEMO,
                    &["REDIS_URL"],
                ),
                addon(
                    "a1b2c3d4-0005-4e5f-8a9b-0c1d2e3f4a05",
                    "redis-cache-67890",
                    "heroku-redis",
                    "heroku-redis:private-7",
                    DEMO,
                    &["CACHE_URL"],
                ),
                addon(
                    "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02",
                    "postgresql-curved-12345",
                    "heroku-postgresql",
                    "heroku-postgresql:private-0",
                    DEMO,
                    &["DATABASE_URL"],
                ),
                addon(
                    "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03",
                    "kafka-fluffy-12345",
                    "heroku-kafka",
                    "heroku-kafka:private-extended-0",
                    DEMO,
                    &["KAFKA_URL"],
                ),
            ],
            config_vars: demo_vars,
        },
        SimApp {
            app: App {
                id: "5c1e2a3b-4d5f-4a6b-8c7d-9e0f1a2b3c12".into(),
                name: "marketing-site".into(),
                space: None,
                region: Some(named("virginia")),
            },
            addons: vec![addon(
                "a1b2c3d4-0004-4e5f-8a9b-0c1d2e3f4a04",
                "redis-cosy-54321",
                "heroku-redis",
                "heroku-redis:premium-0",
                "marketing-site",
                &["REDIS_URL"],
            )],
            config_vars: BTreeMap::new(),
        },
    ];
    let redis = SimLink::operational(
        PrivateLink {
            addon: named("redis-sushi-12345"),
            app: named(DEMO),
            status: PrivateLinkStatus::Operational,
            service_name: "com.amazonaws.vpce.us-east-1.vpce-svc-0410a2e25933fe8ec".into(),
            allowed_accounts: vec![AllowedAccount {
                arn: "arn:aws:iam::123456789101:user/abc.xyz".into(),
                status: "Active".into(),
            }],
            connections: vec![EndpointConnection {
                endpoint_id: ENDPOINT.into(),
                owner_arn: "arn:aws:iam::123456789101:user/abc.xyz".into(),
                status: "Available".into(),
                hostname: HOST.into(),
            }],
        },
        "us-east-1",
    );
    let cache = SimLink::operational(
        PrivateLink {
            addon: named("redis-cache-67890"),
            app: named(DEMO),
            status: PrivateLinkStatus::Operational,
            service_name: "com.amazonaws.vpce.us-east-1.vpce-svc-0c0ffee0c0ffee000".into(),
            allowed_accounts: vec![AllowedAccount {
                arn: "arn:aws:iam::123456789101:root".into(),
                status: "Active".into(),
            }],
            connections: vec![EndpointConnection {
                endpoint_id: CACHE_ENDPOINT.into(),
                owner_arn: "arn:aws:iam::123456789101:root".into(),
                status: "Available".into(),
                hostname: CACHE_HOST.into(),
            }],
        },
        "us-east-1",
    )
    .sparse();
    let mut world = DataWorld {
        apps,
        links: vec![redis, cache],
        timing,
    };
    // The Kafka add-on's PrivateLink was created just now and provisions.
    world
        .create(
            "kafka-fluffy-12345",
            &["123456789012".to_string()],
            "us-east-1",
            now,
        )
        .expect("seed PrivateLink is valid");
    world
}
