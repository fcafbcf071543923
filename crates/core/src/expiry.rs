//! How close a certificate is to its expiry, judged at a given time, and the small duration syntax
//! (`30d`, `12h`, `90m`, `-350d`) that the expiry command and the clock offset take.

/// Where a certificate stands at a given time against a warning window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryStatus {
    /// Expires after the window ends.
    Valid,
    /// Still valid, but expires within the window.
    Expiring,
    /// Its notAfter is at or before now. It stays readable, as in AWS; only its use fails.
    Expired,
}

impl ExpiryStatus {
    /// The status of a certificate expiring at `expires`, at `now`, warned `window` seconds ahead.
    pub fn at(expires: i64, now: i64, window: i64) -> Self {
        if expires <= now {
            ExpiryStatus::Expired
        } else if expires - now <= window {
            ExpiryStatus::Expiring
        } else {
            ExpiryStatus::Valid
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExpiryStatus::Valid => "valid",
            ExpiryStatus::Expiring => "expiring",
            ExpiryStatus::Expired => "expired",
        }
    }

    /// Whether someone should act: expired counts as expiring.
    pub fn needs_rotation(self) -> bool {
        self != ExpiryStatus::Valid
    }
}

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

/// Whole days from `now` to `expires`, rounded down: 0 on the last day, negative once expired (a
/// certificate that expired an hour ago is at -1, so "0 days left" always means still valid).
pub fn days_left(expires: i64, now: i64) -> i64 {
    expires.saturating_sub(now).div_euclid(DAY)
}

/// Parses `30d`, `12h`, `90m`, `45s` or a bare number of seconds, optionally negative (`-350d`),
/// into seconds. Anything else, or a value past a hundred years, is an error with a message for
/// the user.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (digits, unit) = match rest.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => rest.split_at(i),
        None => (rest, "s"),
    };
    let bad = || {
        format!("'{text}' is not a duration: write a whole number and d, h, m or s, such as 30d, 12h, 90m or -350d")
    };
    let multiplier = match unit {
        "d" => DAY,
        "h" => HOUR,
        "m" => MINUTE,
        "s" => 1,
        _ => return Err(bad()),
    };
    if digits.is_empty() {
        return Err(bad());
    }
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let seconds = n
        .checked_mul(multiplier)
        .filter(|s| *s <= MAX_DURATION)
        .ok_or_else(|| format!("'{text}' is too long: at most 36500d"))?;
    Ok(if negative { -seconds } else { seconds })
}

/// A hundred years: far past any certificate's life, and far from overflowing epoch arithmetic.
const MAX_DURATION: i64 = 36_500 * DAY;

/// Epoch seconds as an RFC 3339 UTC timestamp, `2026-11-28T02:19:03Z`.
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(DAY);
    let secs = epoch.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / HOUR,
        secs % HOUR / MINUTE,
        secs % MINUTE
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm), so
/// that formatting a date needs no calendar crate.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
