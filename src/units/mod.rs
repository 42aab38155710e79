//! Sizes and durations as users write them, in command-line flags and in scenario files: one
//! grammar each, one parser each.
//!
//! A size is a whole number of bytes with an optional binary unit and an optional offset:
//! `4096`, `64KiB`, `4M`, `5GiB`, `5MiB+1`, `1GiB-1`. Units are `B`, `K`/`KiB` (1024), `M`/`MiB`,
//! `G`/`GiB` and `T`/`TiB`, case-insensitive; decimal units (`KB`, `MB`, ...) are refused rather
//! than guessed. A duration is a whole number with `ms`, `s` (the default) or `m`.

use std::time::Duration;

/// The size grammar, for `--help` texts and error messages.
pub const SIZE_GRAMMAR: &str = "a number of bytes with an optional binary unit (K/KiB, M/MiB, G/GiB, T/TiB) and offset, e.g. 4096, 64KiB, 4M, 5MiB+1";

/// Parses a size (see the module documentation).
///
/// # Errors
///
/// A message naming the text and the grammar when it is not a size or overflows.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a size: expected {SIZE_GRAMMAR}");
    let (base, offset) = match text.find(['+', '-']) {
        Some(i) if i > 0 => (&text[..i], Some(&text[i..])),
        _ => (text, None),
    };
    let split = base.find(|c: char| !c.is_ascii_digit()).unwrap_or(base.len());
    let (digits, unit) = base.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "t" | "tib" => 40,
        _ => return Err(bad()),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let n = n.checked_mul(1 << shift).ok_or_else(|| format!("`{text}` is too large a size"))?;
    let Some(offset) = offset else { return Ok(n) };
    let delta: u64 = offset[1..].trim().parse().map_err(|_| bad())?;
    let sum = if offset.starts_with('+') { n.checked_add(delta) } else { n.checked_sub(delta) };
    sum.ok_or_else(|| format!("`{text}` is out of range"))
}

/// Parses a duration: `30` or `30s` (seconds), `500ms`, `2m`.
///
/// # Errors
///
/// A message naming the text when it is not a number with one of those units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a duration like 30s, 500ms or 2m"))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs).ok_or_else(|| format!("`{text}` is too long a duration")),
        other => Err(format!("unknown duration unit `{other}` in `{text}` (use ms, s or m)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units_in_either_case_and_an_offset() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("13B"), Ok(13));
        assert_eq!(parse_size("16KiB"), Ok(16 << 10));
        assert_eq!(parse_size("4M"), Ok(4 << 20));
        assert_eq!(parse_size("4m"), Ok(4 << 20));
        assert_eq!(parse_size("5GiB"), Ok(5 << 30));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
        assert_eq!(parse_size("5MiB+1"), Ok((5 << 20) + 1));
        assert_eq!(parse_size("1KiB-1"), Ok(1023));
        assert_eq!(parse_size(" 64kib "), Ok(64 << 10));
    }

    #[test]
    fn sizes_refuse_decimal_units_garbage_and_overflow() {
        for bad in ["", "lots", "5XB", "4MB", "1KB", "-1", "5MiB+", "5MiB+x", "1.5MiB"] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains("is not a size") && e.contains("KiB"), "{bad:?}: {e}");
        }
        assert!(parse_size("99999999999T").unwrap_err().contains("too large"));
        assert!(parse_size("1KiB-2000").unwrap_err().contains("out of range"));
    }

    #[test]
    fn durations_take_ms_s_and_m() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("1h").unwrap_err().contains("use ms, s or m"));
        assert!(parse_duration("soon").unwrap_err().contains("not a duration"));
    }
}
