//! Report groupings: what `tkt report QUERY --by Status --by CreatedMonthly` counts by.

use super::Field;
use crate::error::Error;

/// One dimension of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    Status,
    Queue,
    Owner,
    Creator,
    Priority,
    /// A date field cut to its year (`length` 4), month (7) or day (10).
    Date {
        field: Field,
        length: u8,
    },
    CustomField(String),
}

/// The most groupings one report may count by: each is a column to group by, and a
/// table of more is read by nobody.
pub const MAX_GROUPINGS: usize = 8;

/// Reads the groupings of a report, comma-separated (`Status,CreatedMonthly`), at
/// most [`MAX_GROUPINGS`] of them.
pub fn parse_groupings(list: &str) -> Result<Vec<Grouping>, Error> {
    let names: Vec<&str> = list.split(',').filter(|b| !b.trim().is_empty()).collect();
    if names.len() > MAX_GROUPINGS {
        return Err(Error::Invalid(format!(
            "a report counts by at most {MAX_GROUPINGS} groupings, not {}",
            names.len()
        )));
    }
    names.into_iter().map(parse_grouping).collect()
}

/// Reads a grouping name: Status, Queue, Owner, Creator, Priority, CF.{Name}, or a date
/// field (Created, Resolved, Due, Updated, Started) followed by Daily, Monthly or Yearly.
pub fn parse_grouping(name: &str) -> Result<Grouping, Error> {
    let lower = name.trim().to_ascii_lowercase();
    let simple = match lower.as_str() {
        "status" => Some(Grouping::Status),
        "queue" => Some(Grouping::Queue),
        "owner" => Some(Grouping::Owner),
        "creator" => Some(Grouping::Creator),
        "priority" => Some(Grouping::Priority),
        _ => None,
    };
    if let Some(grouping) = simple {
        return Ok(grouping);
    }
    if let Some(Field::CustomField(cf)) = Field::from_name(name.trim()) {
        return Ok(Grouping::CustomField(cf));
    }
    for (suffix, length) in [("daily", 10), ("monthly", 7), ("yearly", 4)] {
        if let Some(field) = lower.strip_suffix(suffix) {
            let field = match field {
                "created" => Field::Created,
                "resolved" => Field::Resolved,
                "due" => Field::Due,
                "updated" | "lastupdated" => Field::Updated,
                "started" => Field::Started,
                _ => break,
            };
            return Ok(Grouping::Date { field, length });
        }
    }
    Err(Error::Invalid(format!(
        "cannot group by `{}`; use Status, Queue, Owner, Creator, Priority, CF.{{Name}}, or \
         Created/Resolved/Due/Updated/Started with Daily, Monthly or Yearly (CreatedMonthly)",
        super::tokens::shorten(name)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groupings_by_name() {
        assert_eq!(parse_grouping("status").unwrap(), Grouping::Status);
        assert_eq!(
            parse_grouping("CreatedMonthly").unwrap(),
            Grouping::Date {
                field: Field::Created,
                length: 7
            }
        );
        assert_eq!(
            parse_grouping("CF.{Severity}").unwrap(),
            Grouping::CustomField("Severity".into())
        );
        assert!(
            parse_grouping("Colour")
                .unwrap_err()
                .to_string()
                .contains("cannot group by")
        );
        assert!(parse_grouping("SubjectMonthly").is_err());
        assert_eq!(parse_groupings("Status, Queue,").unwrap().len(), 2);
        let many = ["Status"; MAX_GROUPINGS + 1].join(",");
        assert!(parse_groupings(&many).unwrap_err().to_string().contains("at most 8"));
    }
}
