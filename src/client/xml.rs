//! Reading S3 XML answers: the text of an element, and the fields of an S3 error body.
//!
//! S3 answers are small, flat documents; a scenario, a load run or a fuzz harness needs one element's
//! text (`UploadId`, `ETag`, `Code`), never a tree, so this is a search rather than a parser.

/// The S3 error fields of a response body.
#[derive(Debug, Clone, Default)]
pub struct ErrorBody {
    /// `Code`.
    pub code: Option<String>,
    /// `Message`.
    pub message: Option<String>,
    /// `ArgumentName`.
    pub argument_name: Option<String>,
    /// `ArgumentValue`.
    pub argument_value: Option<String>,
}

/// Decodes the XML entities of element text: the five named ones and numeric references (`&#34;`,
/// `&#x22;`), which some servers use for the quotes of an ETag.
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';').filter(|&n| n <= 10) else {
            out.push('&');
            rest = after;
            continue;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .map(|h| u32::from_str_radix(h, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The decoded text of the first `<name>` element of an XML document.
#[must_use]
pub fn element(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))? + start;
    Some(decode_entities(&text[start..end]))
}

/// Extracts the error fields of an S3 error XML body (anything else yields no fields).
#[must_use]
pub fn error_body(body: &[u8]) -> ErrorBody {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    if !text.contains("<Error>") {
        return ErrorBody::default();
    }
    ErrorBody {
        code: element(&text, "Code"),
        message: element(&text, "Message"),
        argument_name: element(&text, "ArgumentName"),
        argument_value: element(&text, "ArgumentValue"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_numeric_entities() {
        assert_eq!(element("<ETag>&#34;ab&#x22;&amp;&lt;</ETag>", "ETag").as_deref(), Some("\"ab\"&<"));
        assert_eq!(decode_entities("a & b &bogus; c"), "a & b &bogus; c");
    }

    #[test]
    fn parses_error_xml() {
        let e =
            error_body(b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>a &amp; b</Message></Error>");
        assert_eq!(e.code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.message.as_deref(), Some("a & b"));
        assert!(error_body(b"not xml").code.is_none());
    }
}
