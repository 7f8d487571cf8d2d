//! The ranges of every date, instant and quantity Stride accepts, in one place.
//!
//! An accepted event is kept forever and replayed by every projection, so a value is checked
//! against what storage and every computation over it can hold before it is accepted, never
//! after. The ranges are generous for marketing (social media history starts well after
//! 2000) and small enough that no date arithmetic can overflow, no loop over periods can run
//! long, and no sum of quantities can leave the range of an `f64` or of PostgreSQL's
//! `double precision`.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// The first business date: goals, windows and reports start no earlier.
pub const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(day) => day,
    None => panic!("2000-01-01 is a date"),
};
/// The last business date.
pub const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(2100, 12, 31) {
    Some(day) => day,
    None => panic!("2100-12-31 is a date"),
};

/// The largest quantity: a metric value, a baseline, a target. 10^15 is far above any
/// follower count or click total, holds every integer below it exactly in an `f64`, and
/// leaves room for sums of billions of observations.
pub const QUANTITY_MAX: f64 = 1e15;
/// The smallest move a metric target may ask for: progress divides by it.
pub const QUANTITY_STEP: f64 = 1e-6;
/// The largest relative change a target may ask for, in percent (10,000 times).
pub const PERCENT_MAX: f64 = 1e6;

/// What the OpenAPI schemas say of dates: years 2000 to 2100.
pub const DAY_PATTERN: &str = r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$";
/// What the OpenAPI schemas say of instants: years 2000 to 2100, in any offset.
pub const INSTANT_PATTERN: &str = r"^(20[0-9]{2}|2100)-";

pub const DAY_MESSAGE: &str = "must be a date from 2000-01-01 to 2100-12-31";
pub const INSTANT_MESSAGE: &str = "must be an instant in the years 2000 to 2100";
pub const QUANTITY_MESSAGE: &str = "must be a number from 0 to 1e15";

/// A business date within [`FIRST_DAY`]..=[`LAST_DAY`].
pub fn day(value: NaiveDate) -> Result<NaiveDate, &'static str> {
    if (FIRST_DAY..=LAST_DAY).contains(&value) {
        Ok(value)
    } else {
        Err(DAY_MESSAGE)
    }
}

/// An instant in the years 2000 to 2100 as written in any UTC offset: from the day before
/// [`FIRST_DAY`] to the day after [`LAST_DAY`] in UTC, so that the schema's pattern on the
/// written year and this check agree whatever offset a client writes.
pub fn instant(value: DateTime<Utc>) -> Result<DateTime<Utc>, &'static str> {
    let first = edge(FIRST_DAY.checked_sub_days(Days::new(1)));
    let last = edge(LAST_DAY.checked_add_days(Days::new(2)));
    if value >= first && value < last {
        Ok(value)
    } else {
        Err(INSTANT_MESSAGE)
    }
}

fn edge(day: Option<NaiveDate>) -> DateTime<Utc> {
    day.unwrap_or(FIRST_DAY).and_time(NaiveTime::MIN).and_utc()
}

/// A quantity: finite, from 0 to [`QUANTITY_MAX`].
pub fn quantity(value: f64) -> Result<f64, &'static str> {
    if value.is_finite() && (0.0..=QUANTITY_MAX).contains(&value) {
        // -0.0 passes the range check; store the plain zero.
        Ok(value + 0.0)
    } else {
        Err(QUANTITY_MESSAGE)
    }
}

/// A date parameter that cannot be out of range once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Day(NaiveDate);

impl Day {
    pub fn new(value: NaiveDate) -> Result<Day, &'static str> {
        day(value).map(Day)
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = NaiveDate::deserialize(deserializer)?;
        Day::new(value).map_err(serde::de::Error::custom)
    }
}

/// An instant parameter that cannot be out of range once parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Moment(DateTime<Utc>);

impl Moment {
    pub fn new(value: DateTime<Utc>) -> Result<Moment, &'static str> {
        instant(value).map(Moment)
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = DateTime::<Utc>::deserialize(deserializer)?;
        Moment::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn dates_run_from_2000_to_2100() {
        assert_eq!(day(date("2000-01-01")), Ok(date("2000-01-01")));
        assert_eq!(day(date("2100-12-31")), Ok(date("2100-12-31")));
        for bad in ["1999-12-31", "2101-01-01", "-5000-01-01", "+262142-12-01"] {
            assert_eq!(day(date(bad)), Err(DAY_MESSAGE), "{bad}");
        }
    }

    #[test]
    fn instants_written_in_2000_to_2100_pass_in_any_offset() {
        for good in [
            "2000-01-01T00:00:00+14:00",
            "2000-01-01T00:00:00Z",
            "2100-12-31T23:59:59.999999999-12:00",
            "2026-11-30T12:00:00Z",
        ] {
            assert!(instant(at(good)).is_ok(), "{good}");
        }
        for bad in [
            "1999-12-30T23:59:59Z",
            "2101-01-02T00:00:00Z",
            "-5000-01-01T00:00:00Z",
        ] {
            assert_eq!(instant(at(bad)), Err(INSTANT_MESSAGE), "{bad}");
        }
        assert!(instant(DateTime::<Utc>::MIN_UTC).is_err());
        assert!(instant(DateTime::<Utc>::MAX_UTC).is_err());
    }

    #[test]
    fn quantities_are_finite_and_between_zero_and_a_quadrillion() {
        assert_eq!(quantity(0.0), Ok(0.0));
        assert!(quantity(-0.0).is_ok_and(|v| v.is_sign_positive()));
        assert_eq!(quantity(1e15), Ok(1e15));
        for bad in [-1.0, 1e15 + 1.0, f64::MAX, f64::INFINITY, f64::NAN, -1e-300] {
            assert_eq!(quantity(bad), Err(QUANTITY_MESSAGE), "{bad}");
        }
    }

    #[test]
    fn bounded_parameters_refuse_out_of_range_values_when_parsed() {
        let parsed: Result<Moment, _> = serde_json::from_str(r#""-262143-01-05T00:00:00Z""#);
        assert!(parsed.is_err_and(|e| e.to_string().contains(INSTANT_MESSAGE)));
        let parsed: Result<Day, _> = serde_json::from_str(r#""2026-11-30""#);
        assert_eq!(parsed.map(Day::get).ok(), Some(date("2026-11-30")));
        let parsed: Result<Day, _> = serde_json::from_str(r#""2101-01-01""#);
        assert!(parsed.is_err());
    }
}
