//! Text that came from an endpoint, made safe where it is shown: a terminal, HTML, a Markdown table.

/// Whether `c` changes how a terminal or a text view shows what follows it: C0 and C1 control
/// characters (escape sequences start with one), DEL, and the Unicode bidirectional overrides.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character written as `\u{…}`, so that printing it cannot move the
/// cursor, recolour, retitle or reorder a terminal.
#[must_use]
pub fn terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_control(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// Appends `c`, as an entity if it is special in HTML text or a quoted attribute.
fn push_html(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => out.push(c),
    }
}

/// Escapes text for HTML element content and quoted attribute values.
#[must_use]
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_html(&mut out, c);
    }
    out
}

/// Escapes text for a Markdown table cell: HTML specials as entities, Markdown specials and `|`
/// with a backslash, line breaks as spaces, other control characters as `\u{…}`.
#[must_use]
pub fn markdown_cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if is_control(c) => out.extend(c.escape_unicode()),
            _ => push_html(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_out() {
        assert_eq!(terminal("a\u{1b}[2Jb\u{7}\u{202e}c\nd é"), "a\\u{1b}[2Jb\\u{7}\\u{202e}c\\u{a}d é");
        assert_eq!(markdown_cell("a|b\n<c>_d\u{1b}"), "a\\|b &lt;c&gt;\\_d\\u{1b}");
    }
}
