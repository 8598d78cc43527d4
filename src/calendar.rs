//! Business-hours calendars, so that a service level can say "2h business" or "3 business
//! days" and mean working time in the office's time zone, skipping nights, weekends and
//! holidays.
//!
//! Pure: the caller passes the time in. A [`Calendar`] is compiled once from its
//! [`CalendarConfig`] (the zone is looked up and the hours checked then), so the
//! arithmetic afterwards cannot fail.
//!
//! Working hours are local times, so every day's open interval is worked out in the zone
//! and turned into UTC instants. Around a DST change a local time that does not exist
//! means the next instant that does (the clocks went forward past it: the office opens
//! when the clock allows), and one that exists twice means the earlier.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub type Timestamp = DateTime<Utc>;

const SECONDS_PER_DAY: u32 = 86_400;

/// The config's day keys, in `Weekday::num_days_from_monday` order.
const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// No service level is longer than this; it also keeps the day-by-day walks short and
/// the arithmetic far from chrono's limits.
const LONGEST_SECONDS: i64 = 10 * 366 * SECONDS_PER_DAY as i64;

/// How a calendar is written in the config.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA zone, e.g. "Europe/Berlin"; default "UTC".
    pub time_zone: String,
    /// Working hours per weekday: keys mon, tue, wed, thu, fri, sat, sun -> "09:00-17:00"
    /// (one range per day; a day not listed is closed; "24:00" closes at midnight).
    /// Default: mon..fri "09:00-17:00".
    pub hours: BTreeMap<String, String>,
    /// Dates ("2026-12-25", quoted or a bare TOML date) on which the office is closed, in
    /// the calendar's zone.
    #[serde(deserialize_with = "holiday_dates")]
    pub holidays: Vec<NaiveDate>,
}

/// Holidays as text or as TOML's own dates, which people write without quotes.
fn holiday_dates<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Holiday {
        Text(NaiveDate),
        Toml(toml::value::Datetime),
    }
    Vec::<Holiday>::deserialize(deserializer)?
        .into_iter()
        .map(|h| match h {
            Holiday::Text(date) => Ok(date),
            Holiday::Toml(datetime) => match (datetime.date, datetime.time) {
                (Some(d), None) => NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .ok_or_else(|| serde::de::Error::custom(format!("holiday {datetime} is not a date"))),
                _ => Err(serde::de::Error::custom(format!(
                    "holiday {datetime} must be a date such as 2026-12-25, without a time"
                ))),
            },
        })
        .collect()
}

impl Default for CalendarConfig {
    fn default() -> Self {
        let hours = DAY_KEYS[..5]
            .iter()
            .map(|day| (day.to_string(), "09:00-17:00".to_string()))
            .collect();
        CalendarConfig {
            time_zone: "UTC".to_string(),
            hours,
            holidays: Vec::new(),
        }
    }
}

/// One weekday's opening hours, as seconds after local midnight; `close` may be a whole
/// day (24:00) so that a day can run up to the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpeningHours {
    open: u32,
    close: u32,
}

/// A compiled calendar: the zone, each weekday's hours and the holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
    /// Indexed by `Weekday::num_days_from_monday`; at least one day is open.
    week: [Option<OpeningHours>; 7],
    holidays: BTreeSet<NaiveDate>,
}

/// One local day's open time as UTC instants: `[open, close)`, never empty.
#[derive(Debug, Clone, Copy)]
struct Interval {
    date: NaiveDate,
    open: Timestamp,
    close: Timestamp,
}

impl Calendar {
    /// Checks and compiles a calendar from the config.
    pub fn from_config(config: &CalendarConfig) -> Result<Calendar, String> {
        let zone = time_zone(&config.time_zone).map_err(|e| format!("time_zone {e}"))?;
        let mut week = [None; 7];
        for (key, range) in &config.hours {
            let day = day_index(key)?;
            if week[day].is_some() {
                return Err(format!("hours for `{}` are given twice", DAY_KEYS[day]));
            }
            week[day] = Some(OpeningHours::parse(range).map_err(|e| format!("hours for `{key}`: {e}"))?);
        }
        if week.iter().all(Option::is_none) {
            return Err("the calendar has no working hours on any day (e.g. mon = \"09:00-17:00\")".to_string());
        }
        Ok(Calendar {
            zone,
            week,
            holidays: config.holidays.iter().copied().collect(),
        })
    }

    /// Always open: 24x7, UTC, no holidays (for a service level that names no calendar,
    /// where business time is simply wall time).
    pub fn always() -> Calendar {
        let all_day = OpeningHours {
            open: 0,
            close: SECONDS_PER_DAY,
        };
        Calendar {
            zone: Tz::UTC,
            week: [Some(all_day); 7],
            holidays: BTreeSet::new(),
        }
    }

    pub fn is_business_time(&self, t: Timestamp) -> bool {
        self.first_interval_ending_after(t)
            .is_some_and(|interval| interval.open <= t)
    }

    /// The first business instant at or after t.
    pub fn next_business_instant(&self, t: Timestamp) -> Timestamp {
        self.first_interval_ending_after(t)
            .map_or(Timestamp::MAX_UTC, |interval| interval.open.max(t))
    }

    /// t plus d, counting as `d` says: wall time, working time, or whole working days.
    pub fn add(&self, t: Timestamp, d: &SlaDuration) -> Timestamp {
        match *d {
            SlaDuration::Wall(d) => add_wall(t, d),
            SlaDuration::Business(d) => self.add_business(t, d),
            SlaDuration::BusinessDays(n) => self.add_business_days(t, n),
        }
    }

    /// Business time from a to b in whole seconds (what is left of a business-time SLA);
    /// zero if b <= a.
    pub fn business_between(&self, a: Timestamp, b: Timestamp) -> Duration {
        if b <= a {
            return Duration::zero();
        }
        let last = self.local_date(b);
        let total = self
            .intervals_from(self.day_before(a))
            .take_while(|interval| interval.date <= last)
            .map(|interval| (interval.close.min(b) - interval.open.max(a)).max(Duration::zero()))
            .fold(Duration::zero(), |sum, part| sum + part);
        Duration::seconds(total.num_seconds())
    }

    /// Consumes `d` of open time, interval by interval (a day at a time, however long `d`
    /// is). Running out exactly at a closing time gives that closing time, not the next
    /// opening: the work could be done by then.
    fn add_business(&self, t: Timestamp, d: Duration) -> Timestamp {
        if d <= Duration::zero() {
            return t;
        }
        let mut left = d;
        for interval in self
            .intervals_from(self.day_before(t))
            .filter(|interval| interval.close > t)
        {
            let from = interval.open.max(t);
            let available = interval.close - from;
            if left <= available {
                return from + left;
            }
            left -= available;
        }
        Timestamp::MAX_UTC
    }

    /// The same local time of day `n` working days after the first business instant,
    /// held within that day's hours (a short day ends the clock at its closing time).
    fn add_business_days(&self, t: Timestamp, n: u32) -> Timestamp {
        let Some(first) = self.first_interval_ending_after(t) else {
            return Timestamp::MAX_UTC;
        };
        let start = first.open.max(t);
        if n == 0 {
            return start;
        }
        let Some(next_day) = first.date.succ_opt() else {
            return Timestamp::MAX_UTC;
        };
        let Some(target) = self.intervals_from(next_day).nth(n as usize - 1) else {
            return Timestamp::MAX_UTC;
        };
        let time_of_day = start.with_timezone(&self.zone).time();
        self.instant(target.date.and_time(time_of_day))
            .clamp(target.open, target.close)
    }

    /// The first open interval that has not closed by t: the one t is in, or the next.
    fn first_interval_ending_after(&self, t: Timestamp) -> Option<Interval> {
        self.intervals_from(self.day_before(t))
            .find(|interval| interval.close > t)
    }

    /// The open intervals of `date` and every day after it, in order. Each step ends:
    /// some weekday is open and there are finitely many holidays.
    fn intervals_from(&self, date: NaiveDate) -> impl Iterator<Item = Interval> + '_ {
        std::iter::successors(Some(date), NaiveDate::succ_opt).filter_map(|date| self.interval_on(date))
    }

    /// The day's open interval, if the office opens that day at all (a day whose hours
    /// fall wholly into a DST gap does not).
    fn interval_on(&self, date: NaiveDate) -> Option<Interval> {
        if self.holidays.contains(&date) {
            return None;
        }
        let hours = self.week[date.weekday().num_days_from_monday() as usize]?;
        let midnight = date.and_time(NaiveTime::MIN);
        let at = |seconds: u32| {
            midnight
                .checked_add_signed(Duration::seconds(seconds.into()))
                .map(|l| self.instant(l))
        };
        let (open, close) = (at(hours.open)?, at(hours.close)?);
        (open < close).then_some(Interval { date, open, close })
    }

    /// Where to start looking for the interval t is in: the day before t's local date, in
    /// case an interval runs up to midnight and the zone's midnight is ambiguous.
    fn day_before(&self, t: Timestamp) -> NaiveDate {
        let date = self.local_date(t);
        date.pred_opt().unwrap_or(date)
    }

    fn local_date(&self, t: Timestamp) -> NaiveDate {
        t.with_timezone(&self.zone).date_naive()
    }

    /// The instant of a local time: the earlier of two, or the next that exists.
    fn instant(&self, local: NaiveDateTime) -> Timestamp {
        if let Some(t) = self.zone.from_local_datetime(&local).earliest() {
            return t.to_utc();
        }
        // In a gap: zones change offset on whole minutes, so the first whole local minute
        // that exists is the moment the clocks jumped. Gaps are at most a day (Samoa, 2011).
        let whole_minute = local.with_second(0).and_then(|l| l.with_nanosecond(0)).unwrap_or(local);
        (1..=2 * 24 * 60)
            .filter_map(|minutes| whole_minute.checked_add_signed(Duration::minutes(minutes)))
            .find_map(|later| self.zone.from_local_datetime(&later).earliest())
            .map_or(Timestamp::MAX_UTC, |t| t.to_utc())
    }
}

fn add_wall(t: Timestamp, d: Duration) -> Timestamp {
    let limit = if d < Duration::zero() {
        Timestamp::MIN_UTC
    } else {
        Timestamp::MAX_UTC
    };
    t.checked_add_signed(d).unwrap_or(limit)
}

/// The IANA time zone called `name`: the one lookup for calendars and the scheduler, so
/// a mistyped zone reads the same wherever it is, and the caller names the key.
pub fn time_zone(name: &str) -> Result<Tz, String> {
    name.trim()
        .parse()
        .map_err(|_| format!("`{name}` is not an IANA time zone (such as Europe/Berlin or UTC)"))
}

/// The `week` index of a config day key ("mon", or "Monday").
fn day_index(key: &str) -> Result<usize, String> {
    let day: Weekday = key
        .trim()
        .parse()
        .map_err(|_| format!("unknown day `{key}` in hours (use mon, tue, wed, thu, fri, sat, sun)"))?;
    Ok(day.num_days_from_monday() as usize)
}

impl OpeningHours {
    /// "09:00-17:00": one range within the day, opening before closing.
    fn parse(range: &str) -> Result<OpeningHours, String> {
        let malformed = || format!("`{range}` is not a range of hours like \"09:00-17:00\"");
        let (open, close) = range.split_once('-').ok_or_else(malformed)?;
        let open = parse_clock(open)
            .filter(|&open| open < SECONDS_PER_DAY)
            .ok_or_else(malformed)?;
        let close = parse_clock(close).ok_or_else(malformed)?;
        if open >= close {
            return Err(format!(
                "`{range}` closes before it opens (one range within the day; \"00:00-24:00\" is all day)"
            ));
        }
        Ok(OpeningHours { open, close })
    }
}

/// "HH:MM" as seconds after midnight, "24:00" included (the end of the day).
fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (hours, minutes) = (digits(hours, 1..=2)?, digits(minutes, 2..=2)?);
    let seconds = hours * 3600 + minutes * 60;
    (minutes < 60 && seconds <= SECONDS_PER_DAY).then_some(seconds)
}

/// A service-level duration from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaDuration {
    /// Wall-clock time: "4h", "30m", "1 day", "2h 30m".
    Wall(Duration),
    /// Working time: "2h business", "90 minutes business", "business 2h": counted only
    /// while the calendar is open.
    Business(Duration),
    /// Whole working days: "3 business days": the same local time of day N working days
    /// later, because "by the same time on Wednesday" is what people promise.
    BusinessDays(u32),
}

/// A unit a duration may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
}

impl Unit {
    fn parse(word: &str) -> Option<Unit> {
        Some(match word {
            "s" | "sec" | "secs" | "second" | "seconds" => Unit::Second,
            "m" | "min" | "mins" | "minute" | "minutes" => Unit::Minute,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hour,
            "d" | "day" | "days" => Unit::Day,
            "w" | "wk" | "wks" | "week" | "weeks" => Unit::Week,
            _ => return None,
        })
    }

    fn seconds(self) -> i64 {
        match self {
            Unit::Second => 1,
            Unit::Minute => 60,
            Unit::Hour => 3600,
            Unit::Day => 86_400,
            Unit::Week => 7 * 86_400,
        }
    }
}

/// A piece of duration text: "2h30m" is [2, "h", 30, "m"].
#[derive(Debug, PartialEq, Eq)]
enum Token {
    Number(u64),
    Word(String),
}

impl Token {
    fn is_word(&self, word: &str) -> bool {
        matches!(self, Token::Word(w) if w == word)
    }
}

/// Splits lower-cased text into numbers and words; `None` for anything else (".", "-").
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() || c == ',' {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let end = rest.find(|other: char| other.is_ascii_digit() != c.is_ascii_digit() || !other.is_alphanumeric());
        let (piece, after) = rest.split_at(end.unwrap_or(rest.len()));
        if piece.is_empty() {
            return None;
        }
        // A run of digits fails to parse only by overflowing: too long, not malformed.
        let number = || Token::Number(piece.parse().unwrap_or(u64::MAX));
        tokens.push(if c.is_ascii_digit() {
            number()
        } else {
            Token::Word(piece.to_string())
        });
        rest = after;
    }
    Some(tokens)
}

/// The (amount, unit) pairs of the tokens, "and" between them allowed.
fn amounts(tokens: &[Token]) -> Option<Vec<(u64, Unit)>> {
    let mut tokens = tokens.iter().filter(|token| !token.is_word("and"));
    let mut amounts = Vec::new();
    while let Some(token) = tokens.next() {
        let (Token::Number(amount), Some(Token::Word(unit))) = (token, tokens.next()) else {
            return None;
        };
        amounts.push((*amount, Unit::parse(unit)?));
    }
    Some(amounts)
}

impl FromStr for SlaDuration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let not_a_duration = || format!("`{text}` is not a duration (try \"2h business\" or \"3 business days\")");
        if text.is_empty() {
            return Err("an empty duration (try \"2h business\" or \"3 business days\")".to_string());
        }
        let mut tokens = tokenize(&text.to_lowercase()).ok_or_else(not_a_duration)?;
        let business = tokens.iter().any(|token| token.is_word("business"));
        tokens.retain(|token| !token.is_word("business"));
        let amounts = amounts(&tokens)
            .filter(|amounts| !amounts.is_empty())
            .ok_or_else(not_a_duration)?;
        let seconds = amounts
            .iter()
            .try_fold(0i64, |sum, &(amount, unit)| {
                i64::try_from(amount)
                    .ok()?
                    .checked_mul(unit.seconds())?
                    .checked_add(sum)
            })
            .filter(|&seconds| seconds <= LONGEST_SECONDS)
            .ok_or_else(|| format!("`{text}` is too long for a service level (at most 10 years)"))?;
        if seconds == 0 {
            return Err(format!(
                "`{text}` is zero; a service-level duration must be longer than that"
            ));
        }
        if !business {
            return Ok(SlaDuration::Wall(Duration::seconds(seconds)));
        }
        business_duration(text, &amounts, seconds)
    }
}

/// Business time from its amounts: whole days alone are working days; weeks, or days
/// mixed with hours, would need a length for a working day or week, which depends on
/// the calendar, so they are refused rather than guessed.
fn business_duration(text: &str, amounts: &[(u64, Unit)], seconds: i64) -> Result<SlaDuration, String> {
    let has = |wanted: Unit| amounts.iter().any(|&(_, unit)| unit == wanted);
    if has(Unit::Week) {
        return Err(format!(
            "`{text}`: business weeks depend on the calendar; write working days (\"10 business days\")"
        ));
    }
    if !has(Unit::Day) {
        return Ok(SlaDuration::Business(Duration::seconds(seconds)));
    }
    if amounts.iter().any(|&(_, unit)| unit != Unit::Day) {
        return Err(format!(
            "`{text}` mixes business days with hours; write \"3 business days\" or hours (\"28h business\")"
        ));
    }
    let days = seconds / i64::from(SECONDS_PER_DAY);
    Ok(SlaDuration::BusinessDays(
        u32::try_from(days).map_err(|_| format!("`{text}` is too long"))?,
    ))
}

impl fmt::Display for SlaDuration {
    /// Text that parses back to the same value. Business time is spelled without days,
    /// since "2d business" would read as two working days.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SlaDuration::Wall(d) => f.write_str(&spell(
                d.num_seconds(),
                &[Unit::Day, Unit::Hour, Unit::Minute, Unit::Second],
            )),
            SlaDuration::Business(d) => {
                write!(
                    f,
                    "{} business",
                    spell(d.num_seconds(), &[Unit::Hour, Unit::Minute, Unit::Second])
                )
            }
            SlaDuration::BusinessDays(1) => f.write_str("1 business day"),
            SlaDuration::BusinessDays(n) => write!(f, "{n} business days"),
        }
    }
}

impl<'de> Deserialize<'de> for SlaDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// As the text it was written as, so a config or report shows "2h business".
impl Serialize for SlaDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// "2d 3h 5m" in the given units, largest first, zero parts left out; "-" before a
/// negative one; zero in the smallest unit.
fn spell(seconds: i64, units: &[Unit]) -> String {
    let smallest = units.last().map_or(1, |unit| unit.seconds());
    let mut left = seconds.unsigned_abs() / smallest.unsigned_abs() * smallest.unsigned_abs();
    let mut parts = Vec::new();
    for &unit in units {
        let size = unit.seconds().unsigned_abs();
        if left >= size {
            parts.push(format!("{}{}", left / size, unit_letter(unit)));
            left %= size;
        }
    }
    match (parts.is_empty(), seconds < 0) {
        (true, _) => format!("0{}", units.last().map_or("s", |&unit| unit_letter(unit))),
        (false, negative) => format!("{}{}", if negative { "-" } else { "" }, parts.join(" ")),
    }
}

fn unit_letter(unit: Unit) -> &'static str {
    match unit {
        Unit::Second => "s",
        Unit::Minute => "m",
        Unit::Hour => "h",
        Unit::Day => "d",
        Unit::Week => "w",
    }
}

/// A compact human form to the minute: "2d 3h 5m", "45m", "0m", "-1h 5m" (overdue).
/// Seconds are dropped, not rounded, so "0m" left means less than a minute.
pub fn format_duration(d: Duration) -> String {
    spell(d.num_seconds(), &[Unit::Day, Unit::Hour, Unit::Minute])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn date(y: i32, mo: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, mo, d).unwrap()
    }

    fn hours(h: i64) -> Duration {
        Duration::hours(h)
    }

    fn parse(text: &str) -> SlaDuration {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn parse_error(text: &str) -> String {
        text.parse::<SlaDuration>().expect_err(text)
    }

    /// Mon-Fri 09:00-17:00 UTC. 2026-03-06 is a Friday, 03-09 the Monday after.
    fn office() -> Calendar {
        Calendar::from_config(&CalendarConfig::default()).unwrap()
    }

    fn office_with_holidays(holidays: &[NaiveDate]) -> Calendar {
        Calendar::from_config(&CalendarConfig {
            holidays: holidays.to_vec(),
            ..CalendarConfig::default()
        })
        .unwrap()
    }

    fn calendar(zone: &str, hours: &[(&str, &str)]) -> Result<Calendar, String> {
        let hours = hours
            .iter()
            .map(|(day, range)| (day.to_string(), range.to_string()))
            .collect();
        Calendar::from_config(&CalendarConfig {
            time_zone: zone.to_string(),
            hours,
            holidays: Vec::new(),
        })
    }

    fn berlin() -> Calendar {
        Calendar::from_config(&CalendarConfig {
            time_zone: "Europe/Berlin".to_string(),
            ..CalendarConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn holidays_may_be_bare_toml_dates_or_text() {
        let config: CalendarConfig = toml::from_str("holidays = [2026-12-25, \"2026-12-26\"]").unwrap();
        assert_eq!(
            config.holidays,
            [
                NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()
            ]
        );
        let timed = toml::from_str::<CalendarConfig>("holidays = [2026-12-25T10:00:00]").unwrap_err();
        assert!(timed.to_string().contains("without a time"), "{timed}");
    }

    #[test]
    fn wall_durations_parse_in_every_form() {
        let cases = [
            ("4h", hours(4)),
            ("30m", Duration::minutes(30)),
            ("1 day", Duration::days(1)),
            ("2h 30m", Duration::minutes(150)),
            ("2 hours", hours(2)),
            ("90 minutes", Duration::minutes(90)),
            ("90m", Duration::minutes(90)),
            ("1h 30m", Duration::minutes(90)),
            ("1h30m", Duration::minutes(90)),
            ("1 hour and 30 minutes", Duration::minutes(90)),
            ("2 days", Duration::days(2)),
            ("1 week", Duration::days(7)),
            ("45s", Duration::seconds(45)),
            ("  3 HRS ", hours(3)),
            ("1d, 2h", hours(26)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), SlaDuration::Wall(expected), "{text}");
        }
    }

    #[test]
    fn business_durations_parse_wherever_the_word_is() {
        let cases = [
            ("2h business", hours(2)),
            ("90 minutes business", Duration::minutes(90)),
            ("business 2h", hours(2)),
            ("2 business hours", hours(2)),
            ("2H BUSINESS", hours(2)),
            ("1h 30m business", Duration::minutes(90)),
            ("48h business", hours(48)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text), SlaDuration::Business(expected), "{text}");
        }
    }

    #[test]
    fn whole_days_with_the_business_word_are_working_days() {
        assert_eq!(parse("3 business days"), SlaDuration::BusinessDays(3));
        assert_eq!(parse("1 business day"), SlaDuration::BusinessDays(1));
        assert_eq!(parse("2 days business"), SlaDuration::BusinessDays(2));
        assert_eq!(parse("Business 5d"), SlaDuration::BusinessDays(5));
        assert_eq!(parse("1 day 2 days business"), SlaDuration::BusinessDays(3));
    }

    #[test]
    fn what_is_not_a_duration_is_refused_by_name() {
        assert_eq!(
            parse_error("2 fortnights"),
            "`2 fortnights` is not a duration (try \"2h business\" or \"3 business days\")"
        );
        for text in [
            "business",
            "2",
            "h",
            "1.5h",
            "-2h",
            "2h 3",
            "2 business",
            "3 months",
            "2h!",
            "½h",
        ] {
            assert_eq!(
                parse_error(text),
                format!("`{text}` is not a duration (try \"2h business\" or \"3 business days\")"),
                "{text}"
            );
        }
        assert_eq!(
            parse_error(""),
            "an empty duration (try \"2h business\" or \"3 business days\")"
        );
        assert_eq!(
            parse_error("   "),
            "an empty duration (try \"2h business\" or \"3 business days\")"
        );
    }

    #[test]
    fn zero_too_long_and_ambiguous_business_durations_are_refused() {
        assert_eq!(
            parse_error("0h"),
            "`0h` is zero; a service-level duration must be longer than that"
        );
        assert_eq!(
            parse_error("0 business days"),
            "`0 business days` is zero; a service-level duration must be longer than that"
        );
        assert_eq!(
            parse_error("99999999999999999999h"),
            "`99999999999999999999h` is too long for a service level (at most 10 years)"
        );
        assert_eq!(
            parse_error("100000 days"),
            "`100000 days` is too long for a service level (at most 10 years)"
        );
        assert_eq!(
            parse_error("1 week business"),
            "`1 week business`: business weeks depend on the calendar; write working days (\"10 business days\")"
        );
        assert_eq!(
            parse_error("1d 4h business"),
            "`1d 4h business` mixes business days with hours; write \"3 business days\" or hours (\"28h business\")"
        );
    }

    #[test]
    fn display_prints_text_that_parses_back() {
        let values = [
            SlaDuration::Wall(hours(4)),
            SlaDuration::Wall(Duration::minutes(150)),
            SlaDuration::Wall(Duration::days(7)),
            SlaDuration::Wall(Duration::seconds(90_061)),
            SlaDuration::Business(hours(2)),
            SlaDuration::Business(hours(48)),
            SlaDuration::Business(Duration::seconds(5_430)),
            SlaDuration::BusinessDays(1),
            SlaDuration::BusinessDays(3),
        ];
        for value in values {
            assert_eq!(parse(&value.to_string()), value, "{value}");
        }
        assert_eq!(SlaDuration::Wall(Duration::minutes(150)).to_string(), "2h 30m");
        assert_eq!(SlaDuration::Wall(Duration::seconds(90_061)).to_string(), "1d 1h 1m 1s");
        assert_eq!(SlaDuration::Business(hours(48)).to_string(), "48h business");
        assert_eq!(SlaDuration::BusinessDays(1).to_string(), "1 business day");
        assert_eq!(SlaDuration::BusinessDays(3).to_string(), "3 business days");
    }

    #[test]
    fn durations_deserialize_from_and_serialize_to_text() {
        #[derive(Debug, Deserialize, Serialize)]
        struct Level {
            response: SlaDuration,
        }
        let level: Level = toml::from_str("response = \"2h business\"").unwrap();
        assert_eq!(level.response, SlaDuration::Business(hours(2)));
        assert_eq!(serde_json::to_string(&level).unwrap(), r#"{"response":"2h business"}"#);
        let error = toml::from_str::<Level>("response = \"soon\"").unwrap_err().to_string();
        assert!(error.contains("`soon` is not a duration"), "{error}");
    }

    #[test]
    fn business_time_runs_over_the_weekend() {
        let friday_16 = utc(2026, 3, 6, 16, 0);
        assert_eq!(office().add(friday_16, &parse("2h business")), utc(2026, 3, 9, 10, 0));
    }

    #[test]
    fn business_time_skips_a_monday_holiday() {
        let calendar = office_with_holidays(&[date(2026, 3, 9)]);
        assert_eq!(
            calendar.add(utc(2026, 3, 6, 16, 0), &parse("2h business")),
            utc(2026, 3, 10, 10, 0)
        );
    }

    #[test]
    fn business_time_from_outside_hours_starts_at_the_next_opening() {
        let saturday = utc(2026, 3, 7, 12, 0);
        assert_eq!(office().add(saturday, &parse("2h business")), utc(2026, 3, 9, 11, 0));
        let tuesday_early = utc(2026, 3, 10, 6, 0);
        assert_eq!(
            office().add(tuesday_early, &parse("30m business")),
            utc(2026, 3, 10, 9, 30)
        );
        let tuesday_late = utc(2026, 3, 10, 15, 0);
        assert_eq!(
            office().add(tuesday_late, &parse("3h business")),
            utc(2026, 3, 11, 10, 0)
        );
    }

    #[test]
    fn business_time_used_up_at_closing_ends_at_closing() {
        assert_eq!(
            office().add(utc(2026, 3, 6, 16, 0), &parse("1h business")),
            utc(2026, 3, 6, 17, 0)
        );
        assert_eq!(
            office().add(utc(2026, 3, 9, 9, 0), &parse("40h business")),
            utc(2026, 3, 13, 17, 0)
        );
    }

    #[test]
    fn long_business_durations_walk_whole_days() {
        // 400h is ten 40-hour weeks: from Monday's opening to the tenth Friday's closing.
        assert_eq!(
            office().add(utc(2026, 3, 9, 9, 0), &parse("400h business")),
            utc(2026, 5, 15, 17, 0)
        );
        let years = SlaDuration::Business(hours(8 * 260 * 10));
        assert_eq!(office().add(utc(2026, 3, 9, 9, 0), &years).year(), 2036);
    }

    #[test]
    fn business_days_keep_the_time_of_day() {
        let friday_15 = utc(2026, 3, 6, 15, 0);
        assert_eq!(
            office().add(friday_15, &parse("3 business days")),
            utc(2026, 3, 11, 15, 0)
        );
        let with_holiday = office_with_holidays(&[date(2026, 3, 9)]);
        assert_eq!(
            with_holiday.add(friday_15, &parse("3 business days")),
            utc(2026, 3, 12, 15, 0)
        );
        let saturday_10 = utc(2026, 3, 7, 10, 0);
        assert_eq!(
            office().add(saturday_10, &parse("1 business day")),
            utc(2026, 3, 10, 9, 0)
        );
        let friday_evening = utc(2026, 3, 6, 18, 0);
        assert_eq!(
            office().add(friday_evening, &parse("1 business day")),
            utc(2026, 3, 10, 9, 0)
        );
        assert_eq!(office().add(friday_15, &SlaDuration::BusinessDays(0)), friday_15);
    }

    #[test]
    fn business_days_clamp_to_a_shorter_day() {
        let calendar = calendar(
            "UTC",
            &[
                ("mon", "10:00-17:00"),
                ("tue", "09:00-17:00"),
                ("thu", "09:00-17:00"),
                ("fri", "09:00-13:00"),
            ],
        )
        .unwrap();
        let thursday_15 = utc(2026, 3, 12, 15, 0);
        assert_eq!(
            calendar.add(thursday_15, &parse("1 business day")),
            utc(2026, 3, 13, 13, 0)
        );
        let friday_0930 = utc(2026, 3, 13, 9, 30);
        assert_eq!(
            calendar.add(friday_0930, &parse("1 business day")),
            utc(2026, 3, 16, 10, 0)
        );
        // Wednesday is closed: Tuesday plus one working day is Thursday.
        let tuesday_11 = utc(2026, 3, 10, 11, 0);
        assert_eq!(
            calendar.add(tuesday_11, &parse("1 business day")),
            utc(2026, 3, 12, 11, 0)
        );
    }

    #[test]
    fn wall_time_ignores_the_calendar() {
        let friday_16 = utc(2026, 3, 6, 16, 0);
        assert_eq!(office().add(friday_16, &parse("2h")), utc(2026, 3, 6, 18, 0));
        assert_eq!(office().add(friday_16, &parse("1 day")), utc(2026, 3, 7, 16, 0));
    }

    #[test]
    fn business_time_is_known_at_every_edge() {
        let calendar = office_with_holidays(&[date(2026, 3, 10)]);
        assert!(calendar.is_business_time(utc(2026, 3, 9, 9, 0)));
        assert!(calendar.is_business_time(utc(2026, 3, 9, 16, 59)));
        assert!(!calendar.is_business_time(utc(2026, 3, 9, 17, 0)));
        assert!(!calendar.is_business_time(utc(2026, 3, 9, 8, 59)));
        assert!(!calendar.is_business_time(utc(2026, 3, 7, 12, 0)));
        assert!(!calendar.is_business_time(utc(2026, 3, 10, 12, 0)));
    }

    #[test]
    fn the_next_business_instant_is_now_or_the_next_opening() {
        let calendar = office_with_holidays(&[date(2026, 3, 9)]);
        let friday_noon = utc(2026, 3, 6, 12, 0);
        assert_eq!(calendar.next_business_instant(friday_noon), friday_noon);
        assert_eq!(
            calendar.next_business_instant(utc(2026, 3, 6, 17, 0)),
            utc(2026, 3, 10, 9, 0)
        );
        assert_eq!(
            office().next_business_instant(utc(2026, 3, 7, 12, 0)),
            utc(2026, 3, 9, 9, 0)
        );
        assert_eq!(
            office().next_business_instant(utc(2026, 3, 10, 7, 0)),
            utc(2026, 3, 10, 9, 0)
        );
    }

    #[test]
    fn business_between_counts_open_time_only() {
        let friday_15 = utc(2026, 3, 6, 15, 0);
        let monday_11 = utc(2026, 3, 9, 11, 0);
        assert_eq!(office().business_between(friday_15, monday_11), hours(4));
        assert_eq!(office().business_between(monday_11, friday_15), Duration::zero());
        assert_eq!(office().business_between(friday_15, friday_15), Duration::zero());
        assert_eq!(
            office().business_between(utc(2026, 3, 7, 0, 0), utc(2026, 3, 8, 23, 0)),
            Duration::zero()
        );
        assert_eq!(
            office().business_between(utc(2026, 3, 9, 0, 0), utc(2026, 3, 16, 0, 0)),
            hours(40)
        );
        let half_second_in = friday_15 + Duration::milliseconds(500);
        assert_eq!(
            office().business_between(half_second_in, utc(2026, 3, 6, 15, 1)),
            Duration::seconds(59)
        );
    }

    #[test]
    fn always_is_wall_time() {
        let always = Calendar::always();
        let saturday_night = utc(2026, 3, 7, 23, 30);
        assert!(always.is_business_time(saturday_night));
        assert_eq!(always.next_business_instant(saturday_night), saturday_night);
        assert_eq!(
            always.add(saturday_night, &parse("2h business")),
            saturday_night + hours(2)
        );
        assert_eq!(
            always.add(saturday_night, &parse("3 business days")),
            saturday_night + Duration::days(3)
        );
        assert_eq!(
            always.add(saturday_night, &parse("100h business")),
            saturday_night + hours(100)
        );
        let later = saturday_night + Duration::days(9) + Duration::minutes(7);
        assert_eq!(always.business_between(saturday_night, later), later - saturday_night);
    }

    #[test]
    fn berlin_opens_at_local_nine_in_summer_and_winter() {
        let monday_summer = utc(2026, 7, 6, 0, 0);
        assert_eq!(berlin().next_business_instant(monday_summer), utc(2026, 7, 6, 7, 0));
        let monday_winter = utc(2026, 1, 5, 0, 0);
        assert_eq!(berlin().next_business_instant(monday_winter), utc(2026, 1, 5, 8, 0));
        assert!(!berlin().is_business_time(utc(2026, 1, 5, 7, 30)));
        assert!(berlin().is_business_time(utc(2026, 7, 6, 7, 30)));
    }

    #[test]
    fn berlin_business_time_crosses_the_autumn_clock_change() {
        // Friday 2026-10-23 16:00 CEST is 14:00 UTC; the clocks go back on Sunday the 25th,
        // so Monday 10:00 CET is 09:00 UTC.
        let friday_16 = utc(2026, 10, 23, 14, 0);
        let monday_10 = utc(2026, 10, 26, 9, 0);
        assert_eq!(berlin().add(friday_16, &parse("2h business")), monday_10);
        assert_eq!(berlin().business_between(friday_16, monday_10), hours(2));
        // The same local time of day, not the same UTC time.
        let friday_15 = utc(2026, 10, 23, 13, 0);
        assert_eq!(
            berlin().add(friday_15, &parse("1 business day")),
            utc(2026, 10, 26, 14, 0)
        );
    }

    #[test]
    fn local_times_in_a_dst_gap_or_overlap_resolve_sensibly() {
        // 2026-03-29: Berlin jumps from 02:00 to 03:00 (01:00 UTC); 02:30 does not exist.
        let spring = calendar("Europe/Berlin", &[("sun", "02:30-04:00")]).unwrap();
        assert_eq!(
            spring.next_business_instant(utc(2026, 3, 28, 22, 0)),
            utc(2026, 3, 29, 1, 0)
        );
        assert_eq!(
            spring.business_between(utc(2026, 3, 28, 0, 0), utc(2026, 3, 30, 0, 0)),
            hours(1)
        );
        // 2026-10-25: 02:00-03:00 happens twice; 02:30 is the earlier, CEST (00:30 UTC).
        let autumn = calendar("Europe/Berlin", &[("sun", "02:30-04:00")]).unwrap();
        assert_eq!(
            autumn.next_business_instant(utc(2026, 10, 24, 22, 0)),
            utc(2026, 10, 25, 0, 30)
        );
        assert_eq!(
            autumn.business_between(utc(2026, 10, 24, 0, 0), utc(2026, 10, 26, 0, 0)),
            Duration::minutes(150)
        );
        // Hours wholly inside the gap: closed that Sunday, open the next (02:00 CEST).
        let lost = calendar("Europe/Berlin", &[("sun", "02:00-02:30")]).unwrap();
        assert!(!lost.is_business_time(utc(2026, 3, 29, 1, 0)));
        assert_eq!(
            lost.next_business_instant(utc(2026, 3, 28, 22, 0)),
            utc(2026, 4, 5, 0, 0)
        );
    }

    #[test]
    fn an_all_day_range_runs_into_the_next_day() {
        let calendar = calendar("UTC", &[("sat", "00:00-24:00"), ("sun", "00:00-24:00")]).unwrap();
        let saturday_23 = utc(2026, 3, 7, 23, 0);
        assert_eq!(calendar.add(saturday_23, &parse("2h business")), utc(2026, 3, 8, 1, 0));
        assert_eq!(calendar.add(saturday_23, &parse("25h business")), utc(2026, 3, 9, 0, 0));
        assert_eq!(
            calendar.add(saturday_23, &parse("26h business")),
            utc(2026, 3, 14, 1, 0)
        );
    }

    #[test]
    fn config_mistakes_are_named() {
        assert_eq!(
            calendar("Mars/Olympus", &[("mon", "09:00-17:00")]).unwrap_err(),
            "time_zone `Mars/Olympus` is not an IANA time zone (such as Europe/Berlin or UTC)"
        );
        assert_eq!(
            calendar("UTC", &[("mond", "09:00-17:00")]).unwrap_err(),
            "unknown day `mond` in hours (use mon, tue, wed, thu, fri, sat, sun)"
        );
        assert_eq!(
            calendar("UTC", &[("mon", "17:00-09:00")]).unwrap_err(),
            "hours for `mon`: `17:00-09:00` closes before it opens (one range within the day; \"00:00-24:00\" is all day)"
        );
        for range in [
            "25:00-26:00",
            "9-17",
            "09:00",
            "09:60-17:00",
            "24:00-24:00",
            "09:00-24:01",
            "x9:00-17:00",
        ] {
            assert_eq!(
                calendar("UTC", &[("tue", range)]).unwrap_err(),
                format!("hours for `tue`: `{range}` is not a range of hours like \"09:00-17:00\""),
                "{range}"
            );
        }
        assert_eq!(
            calendar("UTC", &[("mon", "09:00-17:00"), ("Monday", "10:00-12:00")]).unwrap_err(),
            "hours for `mon` are given twice"
        );
        assert_eq!(
            calendar("UTC", &[]).unwrap_err(),
            "the calendar has no working hours on any day (e.g. mon = \"09:00-17:00\")"
        );
        assert!(calendar("Europe/Berlin", &[("sat", "9:30-24:00")]).is_ok());
    }

    #[test]
    fn config_reads_from_toml_with_defaults() {
        let config: CalendarConfig = toml::from_str(
            "time_zone = \"Europe/Berlin\"\nholidays = [\"2026-12-25\"]\n[hours]\nmon = \"08:00-12:00\"\n",
        )
        .unwrap();
        assert_eq!(config.time_zone, "Europe/Berlin");
        assert_eq!(config.holidays, vec![date(2026, 12, 25)]);
        assert_eq!(
            config.hours,
            BTreeMap::from([("mon".to_string(), "08:00-12:00".to_string())])
        );
        assert!(Calendar::from_config(&config).is_ok());
        let defaults: CalendarConfig = toml::from_str("").unwrap();
        assert_eq!(defaults, CalendarConfig::default());
        assert_eq!(defaults.hours.len(), 5);
        assert_eq!(defaults.hours["fri"], "09:00-17:00");
        assert!(toml::from_str::<CalendarConfig>("timezone = \"UTC\"").is_err());
        assert!(toml::from_str::<CalendarConfig>("holidays = [\"25.12.2026\"]").is_err());
    }

    #[test]
    fn durations_format_compactly_to_the_minute() {
        assert_eq!(
            format_duration(Duration::days(2) + hours(3) + Duration::minutes(5)),
            "2d 3h 5m"
        );
        assert_eq!(format_duration(Duration::minutes(45)), "45m");
        assert_eq!(format_duration(Duration::zero()), "0m");
        assert_eq!(format_duration(Duration::seconds(59)), "0m");
        assert_eq!(format_duration(-(hours(1) + Duration::minutes(5))), "-1h 5m");
        assert_eq!(format_duration(hours(1) + Duration::seconds(30)), "1h");
        assert_eq!(format_duration(Duration::days(1) + Duration::minutes(1)), "1d 1m");
    }
}
