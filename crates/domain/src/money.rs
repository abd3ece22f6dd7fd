//! Money: ISO 4217 currencies and amounts in integer minor units (cents, fils,
//! yen). Floats never touch an amount: text is parsed digit by digit and
//! formatted back the same way, so 0.1 + 0.2 is always 0.30.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A currency the product knows, with the number of decimals its minor unit has
/// (USD 2, JPY 0, KWD 3). Serialised as its code, e.g. `"EUR"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// ISO 4217 codes and minor-unit exponents. Deliberately a closed list: an
/// unknown code is far more likely a typo than a currency someone needs.
const CURRENCIES: &[(&str, u8)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("NZD", 2),
    ("SGD", 2),
    ("HKD", 2),
    ("CNY", 2),
    ("TWD", 2),
    ("INR", 2),
    ("AED", 2),
    ("SAR", 2),
    ("QAR", 2),
    ("ILS", 2),
    ("EGP", 2),
    ("SEK", 2),
    ("NOK", 2),
    ("DKK", 2),
    ("ISK", 0),
    ("PLN", 2),
    ("CZK", 2),
    ("HUF", 2),
    ("RON", 2),
    ("MXN", 2),
    ("BRL", 2),
    ("CLP", 0),
    ("COP", 2),
    ("ARS", 2),
    ("PEN", 2),
    ("ZAR", 2),
    ("KES", 2),
    ("NGN", 2),
    ("MAD", 2),
    ("THB", 2),
    ("IDR", 2),
    ("MYR", 2),
    ("PHP", 2),
    ("VND", 0),
    ("TRY", 2),
    ("KWD", 3),
    ("BHD", 3),
    ("OMR", 3),
    ("JOD", 3),
    ("TND", 3),
];

impl Currency {
    pub const USD: Currency = Currency::known("USD", 2);
    pub const EUR: Currency = Currency::known("EUR", 2);
    pub const GBP: Currency = Currency::known("GBP", 2);
    pub const JPY: Currency = Currency::known("JPY", 0);
    pub const KWD: Currency = Currency::known("KWD", 3);

    const fn known(code: &'static str, exponent: u8) -> Currency {
        Currency { code, exponent }
    }

    /// Looks a code up, ignoring case and surrounding space ("eur" → EUR).
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let wanted = code.trim();
        CURRENCIES
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(wanted))
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(crate::text::shown(wanted)))
    }

    /// Every currency the product knows, for a picker.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES
            .iter()
            .map(|&(code, exponent)| Currency { code, exponent })
    }

    /// The three-letter ISO 4217 code, upper case.
    pub fn code(&self) -> &str {
        self.code
    }

    /// Decimals in the minor unit: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Minor units in one major unit (100 for EUR).
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Currency::parse(&code)
    }
}

// By hand: the derive would tie the input's lifetime to the `'static` code inside, so a
// struct holding a `Currency` could only be read from `'static` data.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.code.to_owned()
    }
}

/// Why a currency or an amount could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MoneyError {
    #[error("Unknown currency \"{0}\": use a 3-letter code such as USD, EUR or JPY")]
    UnknownCurrency(String),
    #[error("Enter an amount")]
    Empty,
    #[error("Amount can't be negative")]
    Negative,
    #[error("Enter the amount without a + sign")]
    PlusSign,
    #[error("Leave out thousands separators: write 1234.50, not 1,234.50")]
    ThousandsSeparator,
    #[error("Enter the amount as digits with at most one decimal point, e.g. 12.50")]
    NotANumber,
    #[error("{}", too_many_decimals(.currency))]
    TooManyDecimals { currency: Currency },
    #[error("That amount is too large")]
    TooLarge,
    /// Over the organisation's maximum for one amount (`max` is formatted with the currency).
    #[error("That is more than the {max} this organisation allows for one amount")]
    OverLimit { max: String },
}

fn too_many_decimals(currency: &Currency) -> String {
    match currency.exponent() {
        0 => format!("{} has no decimals: enter a whole amount", currency.code()),
        1 => format!("Use at most 1 decimal for {}", currency.code()),
        n => format!("Use at most {n} decimals for {}", currency.code()),
    }
}

/// Reads an amount a person typed into minor units of `currency`.
///
/// Accepts digits with one optional decimal separator, `.` or `,` ("12", "12.5",
/// "12,50", ".5", "12."), surrounded by optional space. Rejects signs (an amount is
/// never negative here, and "+1" is refused rather than silently accepted),
/// exponents, letters, currency symbols and more decimals than the currency has.
///
/// A lone comma followed by exactly three digits ("1,234") is read as a thousands
/// separator, and refused, unless the currency really has three decimals (KWD):
/// in a two-decimal currency that is what the person meant, and guessing
/// "1.234" would be wrong a thousand-fold.
/// The default largest amount, in major units, that one recovery, one day's budget, one cap
/// or one boost may hold (organisations can change it). Big enough for any real comp, small
/// enough that sums over millions of rows stay far inside 64 bits.
pub const DEFAULT_MAX_AMOUNT_MAJOR: i64 = 10_000;

/// The highest an organisation may set its maximum to, in major units.
pub const MAX_AMOUNT_MAJOR_CEILING: i64 = 1_000_000_000;

/// An organisation's largest single amount in `currency`'s minor units.
pub fn max_amount_minor(max_major: i64, currency: Currency) -> i64 {
    max_major
        .clamp(1, MAX_AMOUNT_MAJOR_CEILING)
        .checked_mul(currency.minor_per_major())
        .unwrap_or(i64::MAX)
}

/// Refuses an amount over the organisation's maximum (`max_major`, in major units).
pub fn check_within_limit(
    amount_minor: i64,
    max_major: i64,
    currency: Currency,
) -> Result<i64, MoneyError> {
    let max = max_amount_minor(max_major, currency);
    if amount_minor > max {
        Err(MoneyError::OverLimit {
            max: format_with_code(max, currency),
        })
    } else {
        Ok(amount_minor)
    }
}

pub fn parse_amount(text: &str, currency: Currency) -> Result<i64, MoneyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    match text.chars().next() {
        // U+2212 is the typographic minus some keyboards produce.
        Some('-' | '\u{2212}') => return Err(MoneyError::Negative),
        Some('+') => return Err(MoneyError::PlusSign),
        _ => {}
    }

    let separators: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| matches!(c, '.' | ','))
        .collect();
    let grouping = text
        .chars()
        .any(|c| matches!(c, '\'' | '_' | '\u{00A0}' | '\u{202F}') || c == ' ');
    if grouping || separators.len() > 1 {
        return Err(MoneyError::ThousandsSeparator);
    }

    let (whole, fraction) = match separators.first() {
        Some(&(at, sep)) => {
            let fraction = &text[at + sep.len_utf8()..];
            if sep == ',' && fraction.len() == 3 && currency.exponent() < 3 && is_digits(fraction) {
                return Err(MoneyError::ThousandsSeparator);
            }
            (&text[..at], fraction)
        }
        None => (text, ""),
    };
    if !is_digits(whole) || !is_digits(fraction) || (whole.is_empty() && fraction.is_empty()) {
        return Err(MoneyError::NotANumber);
    }

    // Trailing zeros beyond the currency's decimals change nothing ("12.500" USD is
    // 12.50), but any other extra digit would be rounded away, so refuse those.
    let significant = fraction.trim_end_matches('0');
    let exponent = usize::from(currency.exponent());
    if significant.len() > exponent {
        return Err(MoneyError::TooManyDecimals { currency });
    }

    let mut minor: i64 = 0;
    let padded = significant.bytes().chain(std::iter::repeat(b'0'));
    for digit in whole.bytes().chain(padded.take(exponent)) {
        minor = minor
            .checked_mul(10)
            .and_then(|m| m.checked_add(i64::from(digit - b'0')))
            .ok_or(MoneyError::TooLarge)?;
    }
    Ok(minor)
}

fn is_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

/// Writes minor units as a plain decimal for `currency`: "35.00", "1234.50",
/// "-5.00", JPY "1200", KWD "1.250". No grouping and no symbol, so the text reads
/// back through [`parse_amount`] unchanged (for amounts that are not negative).
pub fn format_minor(minor: i64, currency: Currency) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    // unsigned_abs: i64::MIN has no positive i64 counterpart.
    let magnitude = minor.unsigned_abs();
    let exponent = u32::from(currency.exponent());
    if exponent == 0 {
        return format!("{sign}{magnitude}");
    }
    let unit = 10_u64.pow(exponent);
    let width = exponent as usize;
    format!(
        "{sign}{}.{:0width$}",
        magnitude / unit,
        magnitude % unit,
        width = width
    )
}

/// [`format_minor`] followed by the code, for messages: "25.00 EUR".
pub fn format_with_code(minor: i64, currency: Currency) -> String {
    format!("{} {}", format_minor(minor, currency), currency.code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::value::{Error as ValueError, StrDeserializer};
    use serde::de::IntoDeserializer;

    fn eur(text: &str) -> Result<i64, MoneyError> {
        parse_amount(text, Currency::EUR)
    }

    #[test]
    fn a_currency_code_is_found_whatever_its_case() {
        let currency = Currency::parse(" eur ").expect("EUR is known");
        assert_eq!(currency.code(), "EUR");
        assert_eq!(currency.exponent(), 2);
        assert_eq!(currency, Currency::EUR);
    }

    #[test]
    fn the_currency_table_knows_the_currencies_the_product_promises() {
        for code in [
            "USD", "EUR", "GBP", "JPY", "KRW", "CHF", "CAD", "AUD", "NZD", "SGD", "HKD", "CNY",
            "INR", "AED", "SAR", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "MXN", "BRL", "ZAR",
            "THB", "IDR", "MYR", "PHP", "TRY", "KWD", "BHD", "OMR", "JOD", "TND",
        ] {
            assert!(Currency::parse(code).is_ok(), "{code} should be known");
        }
    }

    #[test]
    fn currencies_have_their_iso_exponents() {
        let exponent = |code: &str| Currency::parse(code).map(|c| c.exponent());
        assert_eq!(exponent("JPY"), Ok(0));
        assert_eq!(exponent("KRW"), Ok(0));
        assert_eq!(exponent("USD"), Ok(2));
        for code in ["KWD", "BHD", "OMR", "JOD", "TND"] {
            assert_eq!(exponent(code), Ok(3), "{code}");
        }
    }

    #[test]
    fn the_currency_table_has_no_duplicates_and_only_upper_case_codes() {
        let codes: Vec<&str> = CURRENCIES.iter().map(|(c, _)| *c).collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        assert!(codes
            .iter()
            .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())));
        assert_eq!(Currency::all().count(), CURRENCIES.len());
    }

    #[test]
    fn an_unknown_currency_is_refused_with_an_example() {
        let error = Currency::parse("XYZ").unwrap_err();
        assert_eq!(error, MoneyError::UnknownCurrency("XYZ".into()));
        assert!(error.to_string().contains("USD"));
        assert!(Currency::parse("").is_err());
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn a_currency_serialises_as_its_code_and_reads_back_through_parse() {
        assert_eq!(String::from(Currency::KWD), "KWD");
        let read: Result<Currency, ValueError> =
            Currency::deserialize(IntoDeserializer::<ValueError>::into_deserializer("gbp"));
        assert_eq!(read.ok(), Some(Currency::GBP));
        let unknown: StrDeserializer<'_, ValueError> = "ABC".into_deserializer();
        assert!(Currency::deserialize(unknown).is_err());
    }

    #[test]
    fn whole_and_decimal_amounts_become_minor_units() {
        assert_eq!(eur("12"), Ok(1200));
        assert_eq!(eur("12.5"), Ok(1250));
        assert_eq!(eur("12.50"), Ok(1250));
        assert_eq!(eur("12,50"), Ok(1250));
        assert_eq!(eur(" 12.50 "), Ok(1250));
        assert_eq!(eur("0"), Ok(0));
        assert_eq!(eur("0.05"), Ok(5));
        assert_eq!(eur("007"), Ok(700));
    }

    #[test]
    fn a_missing_whole_part_or_trailing_separator_is_forgiven() {
        assert_eq!(eur(".5"), Ok(50));
        assert_eq!(eur("12."), Ok(1200));
        assert_eq!(eur("."), Err(MoneyError::NotANumber));
    }

    #[test]
    fn an_empty_amount_asks_for_one() {
        assert_eq!(eur(""), Err(MoneyError::Empty));
        assert_eq!(eur("   "), Err(MoneyError::Empty));
        assert_eq!(MoneyError::Empty.to_string(), "Enter an amount");
    }

    #[test]
    fn a_signed_amount_is_refused() {
        assert_eq!(eur("-1"), Err(MoneyError::Negative));
        assert_eq!(eur("\u{2212}1"), Err(MoneyError::Negative));
        assert_eq!(eur("+1"), Err(MoneyError::PlusSign));
        assert_eq!(MoneyError::Negative.to_string(), "Amount can't be negative");
    }

    #[test]
    fn thousands_separators_are_refused_with_a_clear_message() {
        for text in [
            "1,234.50",
            "1.234,50",
            "1,234,567",
            "1 234",
            "1'234",
            "1_234",
        ] {
            assert_eq!(eur(text), Err(MoneyError::ThousandsSeparator), "{text}");
        }
        assert_eq!(eur("1,234"), Err(MoneyError::ThousandsSeparator));
        assert_eq!(
            parse_amount("1,200", Currency::JPY),
            Err(MoneyError::ThousandsSeparator)
        );
        assert!(MoneyError::ThousandsSeparator
            .to_string()
            .contains("1234.50"));
    }

    #[test]
    fn a_comma_before_three_digits_is_a_decimal_comma_in_a_three_decimal_currency() {
        assert_eq!(parse_amount("1,234", Currency::KWD), Ok(1234));
    }

    #[test]
    fn things_that_are_not_plain_numbers_are_refused() {
        for text in [
            "NaN", "inf", "infinity", "1e3", "12a", "abc", "$12", "12€", "0x10", "1.2.3x", "١٢",
        ] {
            assert!(eur(text).is_err(), "{text} should be refused");
        }
        assert_eq!(eur("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(eur("12,5a"), Err(MoneyError::NotANumber));
    }

    #[test]
    fn more_decimals_than_the_currency_has_are_refused() {
        assert_eq!(
            eur("1.234"),
            Err(MoneyError::TooManyDecimals {
                currency: Currency::EUR
            })
        );
        assert_eq!(
            eur("1.234").unwrap_err().to_string(),
            "Use at most 2 decimals for EUR"
        );
        let jpy = parse_amount("1.5", Currency::JPY).unwrap_err();
        assert_eq!(jpy.to_string(), "JPY has no decimals: enter a whole amount");
        assert!(parse_amount("1.2345", Currency::KWD).is_err());
    }

    #[test]
    fn trailing_zeros_beyond_the_currencys_decimals_are_harmless() {
        assert_eq!(eur("12.500"), Ok(1250));
        assert_eq!(parse_amount("1200.0", Currency::JPY), Ok(1200));
    }

    #[test]
    fn zero_and_three_decimal_currencies_scale_correctly() {
        assert_eq!(parse_amount("1200", Currency::JPY), Ok(1200));
        assert_eq!(parse_amount("1.25", Currency::KWD), Ok(1250));
        assert_eq!(parse_amount("1,250", Currency::KWD), Ok(1250));
        assert_eq!(parse_amount("0.001", Currency::KWD), Ok(1));
    }

    #[test]
    fn an_amount_beyond_i64_minor_units_is_too_large() {
        // i64::MAX is 9223372036854775807 minor units: 92233720368547758.07 EUR.
        assert_eq!(eur("92233720368547758.07"), Ok(i64::MAX));
        assert_eq!(eur("92233720368547758.08"), Err(MoneyError::TooLarge));
        assert_eq!(eur("92233720368547759"), Err(MoneyError::TooLarge));
        assert_eq!(
            parse_amount("99999999999999999999999", Currency::JPY),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            parse_amount("9223372036854775807", Currency::JPY),
            Ok(i64::MAX)
        );
    }

    #[test]
    fn minor_units_format_with_the_currencys_decimals() {
        assert_eq!(format_minor(3500, Currency::EUR), "35.00");
        assert_eq!(format_minor(123_450, Currency::EUR), "1234.50");
        assert_eq!(format_minor(-500, Currency::EUR), "-5.00");
        assert_eq!(format_minor(5, Currency::EUR), "0.05");
        assert_eq!(format_minor(-5, Currency::EUR), "-0.05");
        assert_eq!(format_minor(0, Currency::EUR), "0.00");
        assert_eq!(format_minor(1200, Currency::JPY), "1200");
        assert_eq!(format_minor(-1200, Currency::JPY), "-1200");
        assert_eq!(format_minor(1250, Currency::KWD), "1.250");
        assert_eq!(format_with_code(2500, Currency::EUR), "25.00 EUR");
    }

    #[test]
    fn the_extreme_values_format_without_overflow() {
        assert_eq!(
            format_minor(i64::MIN, Currency::EUR),
            "-92233720368547758.08"
        );
        assert_eq!(
            format_minor(i64::MAX, Currency::EUR),
            "92233720368547758.07"
        );
    }

    proptest! {
        #[test]
        fn any_amount_that_is_not_negative_survives_a_round_trip(
            minor in 0_i64..=i64::MAX,
            index in 0_usize..CURRENCIES.len(),
        ) {
            let (code, exponent) = CURRENCIES[index];
            let currency = Currency { code, exponent };
            prop_assert_eq!(parse_amount(&format_minor(minor, currency), currency), Ok(minor));
        }

        #[test]
        fn parsing_never_panics_on_arbitrary_text(text in "\\PC{0,24}") {
            let _ = parse_amount(&text, Currency::EUR);
            let _ = parse_amount(&text, Currency::JPY);
        }
    }
}
