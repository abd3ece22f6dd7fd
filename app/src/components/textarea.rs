//! The text a `<textarea>` starts with.
//!
//! A saved value holding `</textarea>` must never end its element: the rest would become
//! page markup. How Leptos writes a textarea's children into the server's HTML has changed
//! between releases (raw, like `<script>`, or escaped), so saved text does not go in as a
//! child. It goes in as the element's `inner_html`, escaped here, which is written as it is
//! on the server and parsed by the browser, and in the browser is set as `innerHTML`: inside
//! a textarea both parse as plain text with character references, so the textarea starts with
//! exactly the saved value, and stays editable.

/// The saved `text` as the inner HTML of a textarea:
/// `<textarea … inner_html=textarea_html(&value)></textarea>`.
pub fn textarea_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::textarea_html;

    #[test]
    fn markup_in_saved_text_stays_text() {
        assert_eq!(
            textarea_html(
                r#"</textarea><meta http-equiv="refresh" content="0;url=https://example.com">"#
            ),
            r#"&lt;/textarea&gt;&lt;meta http-equiv="refresh" content="0;url=https://example.com"&gt;"#
        );
        assert_eq!(
            textarea_html("Fish & chips\nline two"),
            "Fish &amp; chips\nline two"
        );
    }
}
