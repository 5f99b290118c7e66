//! The little XML reading s3seal does itself: the children of an S3 `<Error>` document
//! (the SDK keeps only Code and Message; botocore keeps every field, e.g. `Key`).

/// Each `<Name>text</Name>` child of the top-level `<Error>` element, in order.
pub fn error_fields(body: &[u8]) -> Vec<(String, String)> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Some(start) = text.find("<Error>") else {
        return Vec::new();
    };
    let mut rest = &text[start + "<Error>".len()..];
    let mut fields = Vec::new();
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') {
            break; // </Error>
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_suffix('/') {
            fields.push((name.trim().to_owned(), String::new()));
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or_default();
        let end_tag = format!("</{name}>");
        let Some(end) = rest.find(&end_tag) else {
            break;
        };
        fields.push((name.to_owned(), unescape(&rest[..end])));
        rest = &rest[end + end_tag.len()..];
    }
    fields
}

/// Undo XML's five entities and numeric character references.
pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_children_in_order() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key><RequestId>R1</RequestId><HostId/></Error>"#;
        let fields = error_fields(body);
        assert_eq!(
            fields,
            vec![
                ("Code".into(), "NoSuchKey".into()),
                ("Message".into(), "The specified key does not exist.".into()),
                ("Key".into(), "a&b".into()),
                ("RequestId".into(), "R1".into()),
                ("HostId".into(), String::new()),
            ]
        );
    }

    #[test]
    fn empty_or_foreign_bodies_give_nothing() {
        assert!(error_fields(b"").is_empty());
        assert!(error_fields(b"<html>oops</html>").is_empty());
    }

    #[test]
    fn unescapes_numeric_references() {
        assert_eq!(unescape("&#65;&#x42;&lt;c&gt; &bogus"), "AB<c> &bogus");
    }
}
