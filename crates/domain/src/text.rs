//! Text hygiene shared by every form in the domain, and the `slug_enum!` macro
//! that gives each closed list of choices (roles, channels, remedies, …) the same
//! slug, label and lenient parsing.
//!
//! Free text is shown again on tablets, in approval queues and in printed
//! summaries, so control characters and bidirectional overrides (which can make
//! text display as something else) are removed before anything is stored.

/// What an error message may repeat of a person's input: trimmed, and at most 40 characters
/// (then "…"), so a refusal never echoes a megabyte back.
pub fn shown(input: &str) -> String {
    cut(input.trim(), 40)
}

/// `text` up to `max` characters, then "…".
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

/// Cleans a one-line field (a name, a reference, a reason typed in an input):
/// line breaks and tabs become spaces, runs of whitespace collapse to one space,
/// other control characters and bidi overrides are dropped, and the ends are trimmed.
pub fn clean_line(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            pending_space = true;
        } else if is_unwanted(c) {
            continue;
        } else {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// Cleans a multi-line field (a description, a note): keeps line breaks
/// (normalised to `\n`), turns tabs into spaces, drops other control characters and
/// bidi overrides, removes trailing spaces on each line and trims the whole.
pub fn clean_block(input: &str) -> String {
    let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(normalised.len());
    for (index, line) in normalised.split('\n').enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let cleaned: String = line
            .chars()
            .filter_map(|c| match c {
                '\t' => Some(' '),
                c if is_unwanted(c) => None,
                c => Some(c),
            })
            .collect();
        out.push_str(cleaned.trim_end());
    }
    out.trim().to_owned()
}

/// Length as a person counts it (characters, not bytes), so "café" is 4.
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

fn is_unwanted(c: char) -> bool {
    c.is_control()
        // Bidi embeddings, overrides and isolates: they can reorder what a reader sees.
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        // Zero-width space and byte-order mark: invisible, only ever noise in a form.
        || c == '\u{200B}'
        || c == '\u{FEFF}'
}

/// True when `text` names `slug`: surrounding space, ASCII case, and `_` or a space
/// in place of `-` are forgiven, so "In person", "IN_PERSON" and "in-person" all match.
pub fn slug_matches(slug: &str, text: &str) -> bool {
    let text = text.trim();
    // Slugs are ASCII, so a non-ASCII text never matches and bytes line up with chars.
    text.is_ascii()
        && text.len() == slug.len()
        && text
            .chars()
            .zip(slug.chars())
            .all(|(t, s)| fold_slug_char(t) == fold_slug_char(s))
}

fn fold_slug_char(c: char) -> char {
    match c {
        '_' | ' ' => '-',
        other => other.to_ascii_lowercase(),
    }
}

/// Declares a closed list of choices with a stable slug (stored and sent in forms,
/// and its serde name) and a label for people. Generates `ALL`, `as_str`, `label`,
/// `from_slug`, `parse` and `Display`. `parse` fails with the error the invocation
/// names (`unknown(text) -> Type { expression }`, `text` being the trimmed input, cut to 40 characters),
/// so each list's error belongs to its own area.
macro_rules! slug_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $slug:literal, $label:literal; )+
        }
        unknown($text:ident) -> $error:ty $make_error:block
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $slug)] $variant, )+
        }

        impl $name {
            /// Every choice, in the order a form lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable slug: what the database stores and a form sends.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $slug,)+
                }
            }

            /// Words for a person.
            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            /// The choice named by `text`, forgiving case, spaces and underscores.
            pub fn from_slug(text: &str) -> Option<$name> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|choice| super::text::slug_matches(choice.as_str(), text))
            }

            /// Like [`Self::from_slug`], with an error a person can act on.
            pub fn parse(text: &str) -> Result<$name, $error> {
                $name::from_slug(text).ok_or_else(|| {
                    // Not every list's error repeats what was typed.
                    #[allow(unused_variables)]
                    let $text = $crate::text::shown(text);
                    $make_error
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use slug_enum;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_loses_control_characters_and_extra_whitespace() {
        assert_eq!(clean_line("  Room\t 12\r\n\u{0007}B  "), "Room 12 B");
    }

    #[test]
    fn a_line_loses_bidi_overrides_and_zero_width_spaces() {
        assert_eq!(clean_line("\u{202E}evil\u{200B}\u{FEFF}\u{2066}"), "evil");
    }

    #[test]
    fn a_line_keeps_letters_from_any_script_and_emoji_joiners() {
        assert_eq!(clean_line(" Zimmer 3 – café 👨‍👩‍👧 "), "Zimmer 3 – café 👨‍👩‍👧");
    }

    #[test]
    fn a_blank_line_cleans_to_empty() {
        assert_eq!(clean_line(" \t\r\n "), "");
    }

    #[test]
    fn a_block_keeps_line_breaks_but_not_other_controls() {
        assert_eq!(
            clean_block("\r\n First line  \r\nsecond\tline\u{0000}\rthird \n"),
            "First line\nsecond line\nthird"
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(char_count("café"), 4);
        assert_eq!(char_count(""), 0);
    }

    #[test]
    fn a_slug_matches_forgiving_case_spaces_and_underscores() {
        assert!(slug_matches("in-person", "In person"));
        assert!(slug_matches("in-person", " IN_PERSON "));
        assert!(slug_matches("in-person", "in-person"));
        assert!(!slug_matches("in-person", "inperson"));
        assert!(!slug_matches("in-person", "in-persons"));
        assert!(!slug_matches("email", ""));
        assert!(slug_matches("cause_note", "cause-note"));
        assert!(!slug_matches("in-person", "in-persön"));
    }
}
