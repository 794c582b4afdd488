//! The peerings a team expects, stored. An expectation is active from its
//! registration until its end, its removal, or the accept that consumes it.

use super::{StoreError, now};
use crate::db::Affected;
use crate::on_pool;
use domain::policy::{ExpectedPeer, NewExpectedPeer};

const COLUMNS: &str = "id, space, aws_account_id, vpc_id, cidr, region, note, valid_until, \
                       created_by, created_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    space: String,
    aws_account_id: String,
    vpc_id: String,
    cidr: String,
    region: Option<String>,
    note: String,
    valid_until: String,
    created_by: String,
    created_at: String,
}

impl From<Row> for ExpectedPeer {
    fn from(r: Row) -> Self {
        ExpectedPeer {
            id: r.id,
            space: r.space,
            aws_account_id: r.aws_account_id,
            vpc_id: r.vpc_id,
            cidr: r.cidr,
            region: r.region,
            note: r.note,
            valid_until: r.valid_until,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

impl super::Approvals {
    pub async fn expect(
        &self,
        space: &str,
        peer: &NewExpectedPeer,
        by: &str,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self.db(), p => {
            sqlx::query_scalar(
                "INSERT INTO expected_peers (space, aws_account_id, vpc_id, cidr, region, note, \
                 valid_until, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(space)
            .bind(&peer.aws_account_id)
            .bind(&peer.vpc_id)
            .bind(&peer.cidr)
            .bind(&peer.region)
            .bind(&peer.note)
            .bind(&peer.valid_until)
            .bind(by)
            .bind(now())
            .fetch_one(p)
            .await
        })?)
    }

    /// The expectations in force at `now`: of one space, or of all.
    pub async fn expected(
        &self,
        space: Option<&str>,
        now: &str,
    ) -> Result<Vec<ExpectedPeer>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM expected_peers WHERE consumed_at IS NULL AND removed_at IS NULL \
             AND valid_until > $1 AND ($2 IS NULL OR space = $2) ORDER BY id"
        );
        let rows: Vec<Row> = on_pool!(self.db(), p => {
            sqlx::query_as(&sql).bind(now).bind(space).fetch_all(p).await
        })?;
        Ok(rows.into_iter().map(ExpectedPeer::from).collect())
    }

    /// One active expectation by id.
    pub async fn expectation(&self, id: i64) -> Result<Option<ExpectedPeer>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM expected_peers WHERE id = $1 AND consumed_at IS NULL \
             AND removed_at IS NULL"
        );
        let row: Option<Row> =
            on_pool!(self.db(), p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(ExpectedPeer::from))
    }

    /// Forgets an expectation; false when it was not active.
    pub async fn forget(&self, id: i64) -> Result<bool, StoreError> {
        self.end(id, None).await
    }

    /// The expectation `id` was met by the accepted peering `pcx_id`.
    pub async fn consume(&self, id: i64, pcx_id: &str) -> Result<bool, StoreError> {
        self.end(id, Some(pcx_id)).await
    }

    /// Ends an active expectation: consumed by a peering, or removed.
    async fn end(&self, id: i64, consumed_by: Option<&str>) -> Result<bool, StoreError> {
        const ACTIVE: &str = "consumed_at IS NULL AND removed_at IS NULL";
        let done = on_pool!(self.db(), p => match consumed_by {
            Some(pcx) => sqlx::query(&format!(
                "UPDATE expected_peers SET consumed_by = $1, consumed_at = $2 \
                 WHERE id = $3 AND {ACTIVE}"
            ))
            .bind(pcx)
            .bind(now())
            .bind(id)
            .execute(p)
            .await
            .affected(),
            None => sqlx::query(&format!(
                "UPDATE expected_peers SET removed_at = $1 WHERE id = $2 AND {ACTIVE}"
            ))
            .bind(now())
            .bind(id)
            .execute(p)
            .await
            .affected(),
        })?;
        Ok(done == 1)
    }
}
