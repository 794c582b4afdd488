//! The peerings inventory as CSV: one row per peering of every space,
//! with the expected-peer notes and expiry, for spreadsheets and audits.

use domain::views::InventoryRow;

/// The columns, in order.
pub const COLUMNS: [&str; 11] = [
    "space",
    "pcx_id",
    "type",
    "status",
    "cidr_blocks",
    "aws_account_id",
    "aws_vpc_id",
    "aws_region",
    "expires",
    "expectation",
    "expected_note",
];

/// The rows as CSV, with a header; several CIDR blocks are separated by
/// spaces. A cell a spreadsheet would take for a formula (it starts with
/// `=`, `+`, `-`, `@` or a control character: an operator's note can) is
/// written with a leading `'`, so opening the file runs nothing.
pub fn to_csv(rows: &[InventoryRow]) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    for r in rows {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let cells = [
            r.space.clone(),
            r.pcx_id.clone(),
            r.kind.clone(),
            r.status.clone(),
            r.cidr_blocks.join(" "),
            opt(&r.aws_account_id),
            opt(&r.aws_vpc_id),
            opt(&r.aws_region),
            opt(&r.expires),
            opt(&r.expectation),
            opt(&r.expected_note),
        ];
        out.write_record(cells.iter().map(|c| inert(c)))?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).expect("written from strings"))
}

/// A cell that no spreadsheet evaluates.
fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_that_looks_like_a_formula_is_written_inert() {
        let row = InventoryRow {
            space: "acme".into(),
            pcx_id: "pcx-1".into(),
            kind: "customer-managed".into(),
            status: "pending-acceptance".into(),
            cidr_blocks: vec!["10.1.0.0/16".into(), "10.2.0.0/16".into()],
            aws_account_id: Some("123456789012".into()),
            aws_vpc_id: None,
            aws_region: None,
            expires: Some("2026-12-10T00:00:00Z".into()),
            expectation: Some("expected".into()),
            expected_note: Some("=HYPERLINK(\"http://evil\",\"x\"), ticket 7".into()),
        };
        let csv = to_csv(&[row]).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            COLUMNS
        );
        let rec = reader.records().next().unwrap().unwrap();
        assert_eq!(&rec[4], "10.1.0.0/16 10.2.0.0/16");
        assert_eq!(&rec[10], "'=HYPERLINK(\"http://evil\",\"x\"), ticket 7");
        assert_eq!(&rec[6], "");
    }
}
