//! Parsing of numeric source fields. BACI stores values in thousands of USD and
//! quantities in metric tonnes as decimal text; chokepoint stores USD and tonnes as `f64`.

/// Parse a BACI value `v` (thousands of USD, decimal text) into USD.
///
/// The decimal point is shifted three places in the text before the one conversion to
/// binary, so `"88.981"` becomes exactly `88981.0` and a value with more decimals is
/// rounded once, correctly (multiplying a parsed `f64` by 1000 would round twice).
/// Text with an exponent (`"1.5e-3"`) is parsed and then multiplied.
///
/// Returns `None` when the text is not a finite decimal number.
pub fn thousands_usd_to_usd(text: &str) -> Option<f64> {
    let s = text.trim();
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let bytes = body.as_bytes();
    if let Some(p) = body.find(['e', 'E']) {
        // The exponent raised by 3, so the text is converted once (× 1000 after the
        // conversion would round twice: 1.005e0 → 1004.9999999999999).
        let exp: i64 = body[p + 1..].parse().ok()?;
        let x: f64 = format!("{}{}e{}", if neg { "-" } else { "" }, &body[..p], exp.checked_add(3)?).parse().ok()?;
        return x.is_finite().then_some(x);
    }
    let (int, frac) = match body.find('.') {
        Some(p) => (&bytes[..p], &bytes[p + 1..]),
        None => (bytes, &[][..]),
    };
    if (int.is_empty() && frac.is_empty()) || !int.iter().all(u8::is_ascii_digit) || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut buf = [0u8; 80];
    let needed = int.len() + frac.len().max(3) + 2;
    if needed > buf.len() {
        let x: f64 = format!("{s}e3").parse().ok()?;
        return x.is_finite().then_some(x);
    }
    let mut n = 0;
    if neg {
        buf[n] = b'-';
        n += 1;
    }
    buf[n..n + int.len()].copy_from_slice(int);
    n += int.len();
    let head = frac.len().min(3);
    buf[n..n + head].copy_from_slice(&frac[..head]);
    n += head;
    for _ in head..3 {
        buf[n] = b'0';
        n += 1;
    }
    if frac.len() > 3 {
        buf[n] = b'.';
        n += 1;
        let rest = &frac[3..];
        buf[n..n + rest.len()].copy_from_slice(rest);
        n += rest.len();
    }
    // Only ASCII digits, '-' and '.' were written.
    let text = std::str::from_utf8(&buf[..n]).ok()?;
    text.parse().ok()
}

/// What a BACI value field must hold, for error messages.
pub const VALUE_EXPECTED: &str = "a non-negative number (thousands of USD, at most 1.79e305 so that the value in USD is finite)";
/// What a BACI quantity field must hold, for error messages.
pub const QUANTITY_EXPECTED: &str = "a non-negative number (metric tonnes), or empty/NA";

/// A BACI value `v` (thousands of USD) as USD; `None` when it is not a non-negative number.
pub fn baci_value_usd(text: &str) -> Option<f64> {
    // `+ 0.0` turns a "-0" into 0.
    thousands_usd_to_usd(text).filter(|v| *v >= 0.0).map(|v| v + 0.0)
}

/// A BACI quantity `q` in tonnes: `Some(NaN)` when missing (empty, `NA`), `None` when it is
/// not a non-negative number. NaN marks the missing quantity in [`crate::trade::TradeRow`].
pub fn baci_quantity_t(text: &str) -> Option<f64> {
    if is_missing(text) {
        return Some(f64::NAN);
    }
    finite_f64(text).filter(|q| *q >= 0.0).map(|q| q + 0.0)
}

/// Parse a decimal number (a quantity in tonnes, a governance estimate). `None` when the
/// text is not a finite number.
pub fn finite_f64(text: &str) -> Option<f64> {
    let x: f64 = text.trim().parse().ok()?;
    x.is_finite().then_some(x)
}

/// True for the texts BACI and the bundle use for a missing number: empty, `NA`, `nan`,
/// and `None` (a Python artefact in the bundle's `wgi.db`).
pub fn is_missing(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || ["na", "nan", "none"].iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Exact powers of ten as `f64` (10²² is the largest one `f64` holds exactly).
const POW10: [f64; 23] =
    [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/// [`plain_decimal_at`] on a whole text (`None` when the text does not end with the number).
#[cfg(test)]
pub(crate) fn plain_decimal_scaled(b: &[u8], shift: i32) -> Option<f64> {
    let mut i = 0;
    plain_decimal_at(b, &mut i, shift).filter(|_| i == b.len())
}

/// The fast path of [`baci_value_usd`] and [`baci_quantity_t`] for plain decimal text
/// (`digits` or `digits.digits`, at most 15 significant digits, no sign, no exponent, no
/// spaces) at `b[*i..]`, ending at the first byte that is neither a digit nor its decimal
/// point (`*i` is moved there): the number × 10^`shift`, or `None` for any other text (then
/// `*i` is unspecified and the caller takes the general path, which gives the same number
/// or the error). For parsers that read a line in one pass.
///
/// The result equals the general path's bit for bit: the digits form an integer m < 10¹⁵
/// < 2⁵³ and the text is m × 10^(shift − f) with f the number of decimals, so it is one
/// multiplication or division of two exactly represented numbers, correctly rounded by IEEE
/// 754 like `str::parse` (Clinger's fast path).
#[inline(always)]
pub(crate) fn plain_decimal_at(b: &[u8], i: &mut usize, shift: i32) -> Option<f64> {
    let (mut m, mut digits) = digits_at(b, i, 0);
    let mut frac = 0;
    if b.get(*i) == Some(&b'.') {
        // "5." and ".5" (and ".") go the general way (which accepts some of them).
        if digits == 0 {
            return None;
        }
        *i += 1;
        (m, frac) = digits_at(b, i, m);
        if frac == 0 {
            return None;
        }
        digits += frac;
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    Some(scaled(m, frac, shift))
}

/// The ASCII digits at `b[*i..]` appended to `m` (`m` × 10 + digit each; wrapping past 19
/// digits, which callers refuse by the count): (the value, the number of digits). `*i` is
/// moved past them.
#[inline(always)]
pub(crate) fn digits_at(b: &[u8], i: &mut usize, mut m: u64) -> (u64, u32) {
    let mut n = 0;
    while let Some(d) = b.get(*i).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
        *i += 1;
    }
    (m, n)
}

/// m × 10^(shift − frac), correctly rounded (one IEEE operation on exact operands) for
/// m < 2⁵³ and |shift − frac| ≤ 22: the value of a decimal text of the digits of m with
/// `frac` decimals, times 10^`shift`.
#[inline(always)]
fn scaled(m: u64, frac: u32, shift: i32) -> f64 {
    let e = shift - frac as i32;
    // Through i64 (m < 2⁵³, so the same value): one instruction, where u64 → f64 takes five.
    let x = m as i64 as f64;
    if e >= 0 { x * POW10[e as usize] } else { x / POW10[(-e) as usize] }
}

/// Repair text that was UTF-8, read as Latin-1 and written again as UTF-8
/// (the bundle's BACI country names read `CuraÃ§ao` for `Curaçao`). Text that does not
/// round-trip that way is returned unchanged.
pub fn repair_mojibake(text: &str) -> String {
    if !text.contains(['Ã', 'Â']) {
        return text.to_owned();
    }
    let bytes: Option<Vec<u8>> = text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect();
    match bytes.and_then(|b| String::from_utf8(b).ok()) {
        Some(fixed) => fixed,
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thousands_are_shifted_exactly() {
        assert_eq!(thousands_usd_to_usd("88.981"), Some(88981.0));
        assert_eq!(thousands_usd_to_usd("16"), Some(16000.0));
        assert_eq!(thousands_usd_to_usd("0.001"), Some(1.0));
        assert_eq!(thousands_usd_to_usd(".5"), Some(500.0));
        assert_eq!(thousands_usd_to_usd("  12.3 "), Some(12300.0));
        assert_eq!(thousands_usd_to_usd("-1.25"), Some(-1250.0));
        // A float artefact in the source keeps its tail, rounded once.
        assert_eq!(thousands_usd_to_usd("29.141000000000002"), Some(29141.000000000002));
        assert_eq!(thousands_usd_to_usd("1.5e-3"), Some(1.5));
        assert_eq!(thousands_usd_to_usd("1.005e0"), Some(1005.0));
        assert_eq!(thousands_usd_to_usd("1.005E+0"), Some(1005.0));
        assert_eq!(thousands_usd_to_usd("1e306"), None);
        // The largest values whose USD figure is finite, and the first beyond.
        assert_eq!(baci_value_usd("1.79e305"), Some(1.79e308));
        assert_eq!(baci_value_usd("1.8e305"), None);
        assert_eq!(thousands_usd_to_usd(&format!("1{}", "0".repeat(90))), Some(1e93));
        assert_eq!(baci_value_usd("-0").map(f64::to_bits), Some(0.0f64.to_bits()));
        assert_eq!(baci_quantity_t("-0").map(f64::to_bits), Some(0.0f64.to_bits()));
        // 0.1 * 1000 in binary is not 100 in general; shifting first is.
        assert_eq!(thousands_usd_to_usd("0.1"), Some(100.0));
        for bad in ["", "abc", "1.2.3", "NA", "-", ".", "1,5", "inf", "nan", "1e400"] {
            assert_eq!(thousands_usd_to_usd(bad), None, "{bad}");
        }
    }

    #[test]
    fn missing_markers() {
        assert!(is_missing("NA"));
        assert!(is_missing("          NA"));
        assert!(is_missing(""));
        assert!(is_missing("nan"));
        assert!(is_missing("None"));
        assert!(!is_missing("0"));
    }

    #[test]
    fn mojibake_is_repaired() {
        assert_eq!(repair_mojibake("CuraÃ§ao"), "Curaçao");
        assert_eq!(repair_mojibake("Saint BarthÃ©lemy"), "Saint Barthélemy");
        assert_eq!(repair_mojibake("Côte d'Ivoire"), "Côte d'Ivoire");
        assert_eq!(repair_mojibake("Japan"), "Japan");
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_one() {
        for t in ["88.981", "16", "0.001", "0.1", "29.141", "123456789012.345", "999999999999999", "7.25", "0"] {
            assert_eq!(plain_decimal_scaled(t.as_bytes(), 3), thousands_usd_to_usd(t), "{t}");
            assert_eq!(plain_decimal_scaled(t.as_bytes(), 0), finite_f64(t), "{t}");
        }
        // Not plain: left to the general path.
        for t in [
            "",
            ".",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            " 1",
            "1.2.3",
            "NA",
            "1234567890123456",
            "29.141000000000002",
            "123456789012345678901234567",
        ] {
            assert_eq!(plain_decimal_scaled(t.as_bytes(), 3), None, "{t}");
        }
    }

    proptest! {
        #[test]
        fn shift_agrees_with_decimal_arithmetic(int in 0u64..10_000_000_000, frac in 0u32..1000) {
            let text = format!("{int}.{frac:03}");
            let expected = (int as f64) * 1000.0 + f64::from(frac);
            prop_assert_eq!(thousands_usd_to_usd(&text), Some(expected));
        }

        #[test]
        fn fast_and_general_paths_give_the_same_bits(m in 0u64..1_000_000_000_000_000, frac in 0usize..15) {
            let digits = m.to_string();
            let text = if frac == 0 || frac >= digits.len() { digits } else {
                format!("{}.{}", &digits[..digits.len() - frac], &digits[digits.len() - frac..])
            };
            let value = plain_decimal_scaled(text.as_bytes(), 3);
            prop_assert_eq!(value.map(f64::to_bits), thousands_usd_to_usd(&text).map(f64::to_bits), "{}", text);
            let quantity = plain_decimal_scaled(text.as_bytes(), 0);
            prop_assert_eq!(quantity.map(f64::to_bits), finite_f64(&text).map(f64::to_bits), "{}", text);
        }
    }
}
