//! HTTP/1.1 as the exporter speaks it: a request's head parsed from the
//! bytes received so far (bounded: [`MAX_HEAD`] bytes, [`MAX_HEADERS`]
//! header lines), and a response's head. Only GET and HEAD; the target is
//! a path (a query string is ignored), never looked up on disk. Every
//! answer closes the connection. Pure: no I/O here.

/// The most bytes of a request's head (request line and headers).
pub const MAX_HEAD: usize = 8192;
/// The most header lines.
pub const MAX_HEADERS: usize = 32;

/// The methods served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// As GET, without the body.
    Head,
}

/// A request's head, as far as the exporter cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method,
    /// The target's path, without its query string.
    pub path: &'a [u8],
    /// `Accept` names `application/openmetrics-text`.
    pub openmetrics: bool,
}

/// An answer's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    HeadersTooLarge,
    Unavailable,
}

impl Status {
    /// `200 OK`, `404 Not Found`, ...
    pub fn line(self) -> &'static str {
        // Cut from one string: a `match` of string literals would be a
        // table of pointers in every tend process's RELRO pages.
        let i = match self {
            Status::Ok => 0,
            Status::BadRequest => 1,
            Status::NotFound => 2,
            Status::MethodNotAllowed => 3,
            Status::RequestTimeout => 4,
            Status::HeadersTooLarge => 5,
            Status::Unavailable => 6,
        };
        "200 OK|400 Bad Request|404 Not Found|405 Method Not Allowed|408 Request Timeout|\
         431 Request Header Fields Too Large|503 Service Unavailable"
            .split('|')
            .nth(i)
            .unwrap_or_default()
    }
}

/// What the bytes received so far make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// A head not yet complete: read on.
    Incomplete,
    Request(Request<'a>),
    /// A head that will not be served: answer this status and close.
    Refused(Status),
}

/// Parses the head at the start of `received`. A request line or header
/// line that is complete and malformed is refused at once (garbage gets
/// its 400 without waiting for more); so is a head longer than
/// [`MAX_HEAD`] or with more than [`MAX_HEADERS`] headers (431).
pub fn parse(received: &[u8]) -> Parsed<'_> {
    let mut lines = received.split_inclusive(|&b| b == b'\n');
    let mut used = 0usize;
    let Some(first) = lines.next().filter(|l| l.ends_with(b"\n")) else {
        return if received.len() >= MAX_HEAD { Parsed::Refused(Status::HeadersTooLarge) } else { Parsed::Incomplete };
    };
    used += first.len();
    let request = match request_line(trim(first)) {
        Ok(r) => r,
        Err(status) => return Parsed::Refused(status),
    };
    let mut openmetrics = false;
    let mut headers = 0usize;
    for line in lines {
        used += line.len();
        if used > MAX_HEAD {
            return Parsed::Refused(Status::HeadersTooLarge);
        }
        if !line.ends_with(b"\n") {
            break;
        }
        let line = trim(line);
        if line.is_empty() {
            return Parsed::Request(Request { openmetrics, ..request });
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Parsed::Refused(Status::HeadersTooLarge);
        }
        let Some((name, value)) = header(line) else { return Parsed::Refused(Status::BadRequest) };
        if name.eq_ignore_ascii_case(b"accept") {
            openmetrics |= value.windows(28).any(|w| w.eq_ignore_ascii_case(b"application/openmetrics-text"));
        }
    }
    if received.len() >= MAX_HEAD {
        Parsed::Refused(Status::HeadersTooLarge)
    } else {
        Parsed::Incomplete
    }
}

/// A line without its `\n` or `\r\n`.
fn trim(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `METHOD /path[?query] HTTP/1.x`.
fn request_line(line: &[u8]) -> Result<Request<'_>, Status> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Status::BadRequest);
    };
    if !matches!(version, b"HTTP/1.0" | b"HTTP/1.1") || !target.starts_with(b"/") || !is_token(method) {
        return Err(Status::BadRequest);
    }
    if !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(Status::BadRequest);
    }
    let method = match method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        _ => return Err(Status::MethodNotAllowed),
    };
    let path = target.split(|&b| b == b'?').next().unwrap_or(target);
    Ok(Request { method, path, openmetrics: false })
}

/// `Name: value` (the value without surrounding blanks).
fn header(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = line.split_at_checked(colon)?;
    let value = value.get(1..)?.trim_ascii();
    is_token(name).then_some((name, value))
}

/// An HTTP token: a method or a header name.
fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A response's head: status, type, length, `Connection: close` (and
/// `Allow` with 405).
pub fn head(status: Status, content_type: &str, length: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.line().as_bytes());
    out.extend_from_slice(b"\r\nContent-Type: ");
    out.extend_from_slice(content_type.as_bytes());
    out.extend_from_slice(b"\r\nContent-Length: ");
    out.extend_from_slice(length.to_string().as_bytes());
    out.extend_from_slice(b"\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n");
    if status == Status::MethodNotAllowed {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &[u8]) -> Parsed<'_> {
        Parsed::Request(Request { method: Method::Get, path, openmetrics: false })
    }

    #[test]
    fn requests_and_their_paths() {
        assert_eq!(parse(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), get(b"/metrics"));
        assert_eq!(parse(b"GET /metrics?x=1 HTTP/1.0\n\n"), get(b"/metrics"));
        let head = parse(b"HEAD / HTTP/1.1\r\n\r\n");
        assert_eq!(head, Parsed::Request(Request { method: Method::Head, path: b"/", openmetrics: false }));
        let om =
            parse(b"GET /metrics HTTP/1.1\r\nAccept: Application/OpenMetrics-Text;version=1.0.0,text/plain\r\n\r\n");
        assert_eq!(om, Parsed::Request(Request { method: Method::Get, path: b"/metrics", openmetrics: true }));
    }

    #[test]
    fn incomplete_until_the_blank_line() {
        for part in
            [&b""[..], b"GE", b"GET /metrics HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n", b"GET / HTTP/1.1\r\nHo"]
        {
            assert_eq!(parse(part), Parsed::Incomplete, "{:?}", String::from_utf8_lossy(part));
        }
    }

    #[test]
    fn refusals() {
        let refused = |bytes: &[u8]| match parse(bytes) {
            Parsed::Refused(s) => Some(s),
            _ => None,
        };
        assert_eq!(refused(b"POST /metrics HTTP/1.1\r\n"), Some(Status::MethodNotAllowed));
        assert_eq!(refused(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n"), Some(Status::BadRequest));
        assert_eq!(refused(b"GET http://x/metrics HTTP/1.1\r\n"), Some(Status::BadRequest));
        assert_eq!(refused(b"GET /metrics HTTP/2.0\r\n"), Some(Status::BadRequest));
        assert_eq!(refused(b"GET /a b HTTP/1.1\r\n"), Some(Status::BadRequest));
        assert_eq!(refused(b"GET / HTTP/1.1\r\nno colon here\r\n"), Some(Status::BadRequest));
        assert_eq!(refused(b"GET / HTTP/1.1\r\nBad Name: x\r\n"), Some(Status::BadRequest));
        let many: Vec<u8> = [&b"GET / HTTP/1.1\r\n"[..], &b"X: y\r\n".repeat(MAX_HEADERS + 1)].concat();
        assert_eq!(refused(&many), Some(Status::HeadersTooLarge));
        let long: Vec<u8> = [&b"GET / HTTP/1.1\r\nX: "[..], &vec![b'a'; MAX_HEAD]].concat();
        assert_eq!(refused(&long), Some(Status::HeadersTooLarge));
        assert_eq!(refused(&vec![b'A'; MAX_HEAD]), Some(Status::HeadersTooLarge));
        let at_limit: Vec<u8> = [&b"GET / HTTP/1.1\r\nX: "[..], &vec![b'a'; MAX_HEAD - 23], b"\r\n\r\n"].concat();
        assert_eq!(at_limit.len(), MAX_HEAD);
        assert_eq!(parse(&at_limit), get(b"/"));
    }

    #[test]
    fn response_head() {
        let mut out = b"old".to_vec();
        head(Status::MethodNotAllowed, "text/plain", 12, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\
             Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nAllow: GET, HEAD\r\n\r\n"
        );
        assert_eq!(Status::HeadersTooLarge.line(), "431 Request Header Fields Too Large");
    }
}
