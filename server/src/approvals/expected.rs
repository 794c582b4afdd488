//! The peerings a team expects, stored. An expectation is active from its
//! registration until its end, its removal, or the accept that consumes it.

use super::{StoreError, now};
use domain::policy::{ExpectedPeer, NewExpectedPeer};
use sqlx::Row;

const COLUMNS: &str = "id, space, aws_account_id, vpc_id, cidr, region, note, valid_until, \
                       created_by, created_at";

fn from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ExpectedPeer, sqlx::Error> {
    Ok(ExpectedPeer {
        id: row.try_get("id")?,
        space: row.try_get("space")?,
        aws_account_id: row.try_get("aws_account_id")?,
        vpc_id: row.try_get("vpc_id")?,
        cidr: row.try_get("cidr")?,
        region: row.try_get("region")?,
        note: row.try_get("note")?,
        valid_until: row.try_get("valid_until")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

impl super::Approvals {
    pub async fn expect(
        &self,
        space: &str,
        peer: &NewExpectedPeer,
        by: &str,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO expected_peers (space, aws_account_id, vpc_id, cidr, region, note, \
             valid_until, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        .fetch_one(self.pool())
        .await?)
    }

    /// The expectations in force at `now`: of one space, or of all.
    pub async fn expected(
        &self,
        space: Option<&str>,
        now: &str,
    ) -> Result<Vec<ExpectedPeer>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM expected_peers WHERE consumed_at IS NULL AND removed_at IS NULL \
             AND valid_until > ? AND (? IS NULL OR space = ?) ORDER BY id"
        ))
        .bind(now)
        .bind(space)
        .bind(space)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect::<Result<_, _>>()?)
    }

    /// One active expectation by id.
    pub async fn expectation(&self, id: i64) -> Result<Option<ExpectedPeer>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM expected_peers WHERE id = ? AND consumed_at IS NULL \
             AND removed_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.as_ref().map(from_row).transpose()?)
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
        let set = match consumed_by {
            Some(_) => "consumed_by = ?1, consumed_at = ?2",
            None => "removed_at = ?2",
        };
        Ok(sqlx::query(&format!(
            "UPDATE expected_peers SET {set} WHERE id = ?3 AND consumed_at IS NULL \
             AND removed_at IS NULL"
        ))
        .bind(consumed_by)
        .bind(now())
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected()
            == 1)
    }
}
