//! A response's headers as botocore shows them in `HTTPHeaders`: names lower-cased, in
//! arrival order, a repeated name's values joined by ", ".
//!
//! They are kept in one buffer, not as a string per name and per value: a GET's were some
//! 15 strings, each allocated and freed on every request.

/// The headers of one response (see the module doc).
#[derive(Debug, Default, Clone)]
pub struct ResponseHeaders {
    text: String,
    spans: Vec<Span>,
}

/// Where one header's name and value are in the buffer: the name runs from `name` to
/// `value`, the value from `value` to `end`.
#[derive(Debug, Clone, Copy)]
struct Span {
    name: usize,
    value: usize,
    end: usize,
}

impl ResponseHeaders {
    /// The headers of an HTTP response. Values that are not UTF-8 are read lossily.
    pub fn from_map(headers: &http::HeaderMap) -> Self {
        let size = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 2)
            .sum();
        let mut out = Self {
            text: String::with_capacity(size),
            spans: Vec::with_capacity(headers.keys_len()),
        };
        let mut previous: Option<&http::HeaderName> = None;
        for (name, value) in headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            if previous == Some(name) {
                // A HeaderMap gives a name's values one after another: the value this one
                // joins is the last in the buffer.
                out.extend_last(&value);
            } else {
                out.push(name.as_str(), &value);
            }
            previous = Some(name);
        }
        out
    }

    fn push(&mut self, name: &str, value: &str) {
        let start = self.text.len();
        self.text.push_str(name);
        let value_start = self.text.len();
        self.text.push_str(value);
        self.spans.push(Span {
            name: start,
            value: value_start,
            end: self.text.len(),
        });
    }

    fn extend_last(&mut self, value: &str) {
        self.text.push_str(", ");
        self.text.push_str(value);
        if let Some(last) = self.spans.last_mut() {
            last.end = self.text.len();
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// `(name, value)` in arrival order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|s| (self.name(s), self.value(s)))
    }

    /// A header's value by name, in any case (the model spells them `ETag`,
    /// `Content-Length`; the names kept are lower-cased). A GET looks up some 40 names per
    /// response: lengths are compared first.
    #[inline]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.spans
            .iter()
            .find(|s| s.value - s.name == name.len() && self.name(s).eq_ignore_ascii_case(name))
            .map(|s| self.value(s))
    }

    /// Which header (by its place in [`iter`](Self::iter)) has the value `text`.
    pub fn position_of_value(&self, text: &str) -> Option<usize> {
        self.spans
            .iter()
            .position(|s| s.end - s.value == text.len() && self.value(s) == text)
    }

    #[inline]
    fn name(&self, span: &Span) -> &str {
        // SAFETY: spans are only made by `push` and `extend_last`, from the buffer's
        // length before and after whole strings were pushed: in bounds, on char boundaries.
        unsafe { self.text.get_unchecked(span.name..span.value) }
    }

    #[inline]
    fn value(&self, span: &Span) -> &str {
        // SAFETY: as in `name`.
        unsafe { self.text.get_unchecked(span.value..span.end) }
    }

    /// Leave out the header `name` (its text stays in the buffer, unseen).
    pub fn remove(&mut self, name: &str) {
        let text = &self.text;
        self.spans
            .retain(|s| !text[s.name..s.value].eq_ignore_ascii_case(name));
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for ResponseHeaders {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Self {
        let mut out = Self::default();
        for (name, value) in pairs {
            out.push(name, value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_botocores_names_order_and_joined_repeats() {
        let mut map = http::HeaderMap::new();
        map.append("X-Amz-Request-Id", "r1".parse().unwrap());
        map.append("vary", "Origin".parse().unwrap());
        map.append("ETag", "\"e\"".parse().unwrap());
        map.append("Vary", "Accept-Encoding".parse().unwrap());
        map.append(
            "x-amz-meta-note",
            http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        let headers = ResponseHeaders::from_map(&map);
        let pairs: Vec<(&str, &str)> = headers.iter().collect();
        assert_eq!(
            pairs,
            [
                ("x-amz-request-id", "r1"),
                ("vary", "Origin, Accept-Encoding"),
                ("etag", "\"e\""),
                ("x-amz-meta-note", "caf\u{fffd}"),
            ]
        );
        assert_eq!(headers.len(), 4);
        assert_eq!(headers.get("ETag"), Some("\"e\""));
        assert_eq!(headers.get("content-length"), None);
    }

    #[test]
    fn a_removed_header_is_gone_and_the_others_stay() {
        let mut headers: ResponseHeaders =
            [("expires", "soon"), ("etag", "e"), ("Expires", "again")]
                .into_iter()
                .collect();
        headers.remove("expires");
        assert_eq!(headers.iter().collect::<Vec<_>>(), [("etag", "e")]);
        assert_eq!(headers.get("expires"), None);
    }
}
