//! Requests through the emulated load balancer as a browser makes them, answered by the real
//! `bootstrap` inside the emulator: MiniStack's gateway routes a request to a load balancer by
//! its `Host` header (`<alb-dns>:<listener port>`).

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use super::aws::{AwsApi, described_stack, host_and_port, pairs, text};
use super::report::Report;
use super::zip_facts::ZipFacts;

/// How long one request may take (a cold function start included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// An HTTP response: status, headers in order (names lower-cased), body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Every header line, in order.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.all(name).into_iter().next().unwrap_or_default()
    }

    /// Every value of header `name` (lower case).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The emulated load balancer `lb_dns`, reached through the emulator at `endpoint`.
pub struct Alb {
    address: String,
    lb_dns: String,
}

impl Alb {
    /// The load balancer `lb_dns` behind the emulator's gateway at `endpoint`.
    pub fn new(endpoint: &str, lb_dns: &str) -> Result<Self, String> {
        let (host, port) = host_and_port(endpoint)?;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        };
        Ok(Self {
            address: format!("{host}:{port}"),
            lb_dns: lb_dns.to_string(),
        })
    }

    /// Sends one request to the listener on `port`; the connection closes after it.
    pub fn request(
        &self,
        port: u16,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Response, String> {
        let failed = |error: std::io::Error| format!("{method} {path} on port {port}: {error}");
        let mut stream = TcpStream::connect(&self.address).map_err(failed)?;
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .map_err(failed)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.lb_dns,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(failed)?;
        stream.write_all(body).map_err(failed)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).map_err(failed)?;
        parse_response(&raw).map_err(|error| format!("{method} {path} on port {port}: {error}"))
    }
}

/// Parses an HTTP/1.1 response read to its end (`Connection: close`).
pub fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("the response has no end of headers")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line in {head:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let mut response = Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if response
        .header("transfer-encoding")
        .eq_ignore_ascii_case("chunked")
    {
        response.body = dechunk(&response.body)?;
    }
    Ok(response)
}

/// A chunked body's data.
fn dechunk(mut chunked: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = chunked
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("a chunk without its size line")?;
        let size_text = String::from_utf8_lossy(&chunked[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        let data = line_end + 2;
        if size == 0 {
            return Ok(body);
        }
        let chunk = chunked
            .get(data..data + size)
            .ok_or("a chunk shorter than its size")?;
        body.extend_from_slice(chunk);
        chunked = chunked.get(data + size + 2..).unwrap_or_default();
    }
}

/// `/pkg/<name>.<hash>.js` as the page links it, for the hash of this build.
pub fn hashed_script<'a>(html: &'a str, hash: &str) -> Option<&'a str> {
    let suffix = format!(".{hash}.js");
    html.match_indices(&suffix).find_map(|(at, _)| {
        let name_start = html[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |slash| slash + 1);
        let prefix_start = name_start.checked_sub("/pkg/".len())?;
        (&html[prefix_start..name_start] == "/pkg/" && name_start < at)
            .then(|| &html[prefix_start..at + suffix.len()])
    })
}

/// HTTP of a deployed stage `facts` through its emulated load balancer: the redirect on 80;
/// on 443 health, SSR pages, the hydration script and wasm of this zip's site (brotli), the
/// two-cookie preferences POST, a 404, and the zip's marker file (or its absence).
pub fn check_http(
    aws: &dyn AwsApi,
    endpoint: &str,
    facts: &Value,
    zip: &ZipFacts,
    marker: Option<&str>,
    report: &mut Report,
) -> Result<(), String> {
    let stack = described_stack(aws, text(&facts["stack_name"]))?;
    let outputs = pairs(&stack["Outputs"], "OutputKey", "OutputValue");
    let lb_dns = outputs
        .get("LoadBalancerDnsName")
        .ok_or("the stack has no output LoadBalancerDnsName")?;
    let alb = Alb::new(endpoint, lb_dns)?;
    report.line(&format!(
        "  HTTP through the emulated ALB of stage {} ({lb_dns})",
        text(&facts["stage"])
    ))?;

    let answer = alb.request(80, "GET", "/hello?name=Ada&x=1", &[], b"")?;
    let location = answer.header("location");
    report.check(
        answer.status == 301
            && location.starts_with("https://")
            && location.ends_with("/hello?name=Ada&x=1"),
        "port 80: 301 to https, path and query kept",
        (answer.status, location),
    )?;
    let answer = alb.request(443, "GET", "/healthz", &[], b"")?;
    report.check(
        (answer.status, answer.body.as_slice()) == (200, b"ok".as_slice()),
        "443 /healthz: 200 ok",
        (answer.status, answer.text()),
    )?;
    check_pages(&alb, zip, report)?;
    check_preferences(&alb, text(&facts["domain"]), report)?;
    let answer = alb.request(443, "GET", "/no-such-page", &[], b"")?;
    report.check(
        answer.status == 404,
        "443 /no-such-page: 404",
        answer.status,
    )?;
    let answer = alb.request(443, "GET", "/deploy-marker.txt", &[], b"")?;
    match marker {
        Some(marker) => report.check(
            answer.status == 200 && answer.text() == marker,
            format!("the marker of this zip is served: {marker}"),
            (answer.status, answer.text()),
        ),
        None => report.check(
            answer.status == 404,
            "no marker file in this zip",
            answer.status,
        ),
    }
}

/// `/` rendered on the server with this build's hydration script, which is served with its
/// wasm in brotli.
fn check_pages(alb: &Alb, zip: &ZipFacts, report: &mut Report) -> Result<(), String> {
    let answer = alb.request(443, "GET", "/", &[], b"")?;
    let html = answer.text();
    report.check(
        answer.status == 200 && answer.header("content-type").starts_with("text/html"),
        "443 /: 200 HTML (server-rendered)",
        (answer.status, answer.header("content-type")),
    )?;
    let head: String = html.chars().take(500).collect();
    report.check(
        html.contains(r#"data-theme="light""#) && html.contains("<h1>"),
        "the page is rendered, light theme without cookies",
        &head,
    )?;
    let script = hashed_script(&html, zip.hash("js"));
    report.check(
        script.is_some() && html.contains("hydrate"),
        format!(
            "/ carries the hydration script of this build ({})",
            script.unwrap_or(&format!("/pkg/<name>.{}.js", zip.hash("js")))
        ),
        &head,
    )?;
    let script = script.unwrap_or_default();
    let brotli = [("accept-encoding", "br")];
    let answer = alb.request(443, "GET", script, &brotli, b"")?;
    report.check(
        answer.status == 200 && answer.header("content-encoding") == "br",
        format!("{script}: 200, brotli"),
        (answer.status, answer.header("content-encoding")),
    )?;
    let stem = script.trim_end_matches(&format!(".{}.js", zip.hash("js")));
    let wasm = format!("{stem}.{}.wasm", zip.hash("wasm"));
    let answer = alb.request(443, "GET", &wasm, &brotli, b"")?;
    report.check(
        answer.status == 200
            && answer.header("content-encoding") == "br"
            && answer.header("content-type") == "application/wasm",
        format!(
            "{wasm}: 200 application/wasm, brotli, {} bytes",
            answer.body.len()
        ),
        (answer.status, &answer.headers),
    )
}

/// The preferences form: its page, the POST answered with two cookies, and `/` rendered with
/// them.
fn check_preferences(alb: &Alb, domain: &str, report: &mut Report) -> Result<(), String> {
    let answer = alb.request(443, "GET", "/preferences", &[], b"")?;
    report.check(
        answer.status == 200 && answer.text().contains("display_name"),
        "443 /preferences: 200 with the form",
        (
            answer.status,
            answer.text().chars().take(200).collect::<String>(),
        ),
    )?;
    let referer = format!("https://{domain}/preferences");
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "text/html"),
        ("referer", referer.as_str()),
    ];
    let answer = alb.request(
        443,
        "POST",
        "/api/preferences",
        &form,
        b"theme=dark&display_name=Ada",
    )?;
    let cookies = answer.all("set-cookie");
    let mut names: Vec<&str> = cookies
        .iter()
        .map(|cookie| cookie.split('=').next().unwrap_or_default())
        .collect();
    names.sort_unstable();
    report.check(
        answer.status == 302 && names == ["display_name", "theme"],
        "POST /api/preferences: 302 with two set-cookie headers",
        (answer.status, &cookies),
    )?;
    report.check(
        cookies.iter().any(|c| c.starts_with("theme=dark;"))
            && cookies.iter().any(|c| c.starts_with("display_name=Ada;")),
        "the cookies carry theme=dark and display_name=Ada",
        &cookies,
    )?;
    let answer = alb.request(
        443,
        "GET",
        "/",
        &[("cookie", "theme=dark; display_name=Ada")],
        b"",
    )?;
    let html = answer.text();
    report.check(
        answer.status == 200 && html.contains(r#"data-theme="dark""#) && html.contains("Ada"),
        "with the cookies, / renders dark and greets Ada",
        html.chars().take(300).collect::<String>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_keeps_repeated_headers_in_order() {
        let raw = b"HTTP/1.1 302 Found\r\nSet-Cookie: a=1; Path=/\r\nLocation: /x\r\nset-cookie: b=2\r\nContent-Length: 2\r\n\r\nhi";

        let response = parse_response(raw).unwrap();

        assert_eq!(response.status, 302);
        assert_eq!(response.all("set-cookie"), ["a=1; Path=/", "b=2"]);
        assert_eq!(
            (response.header("location"), response.header("absent")),
            ("/x", "")
        );
        assert_eq!(response.body, b"hi");
    }

    #[test]
    fn a_chunked_body_is_joined() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
        assert_eq!(parse_response(raw).unwrap().body, b"hello world");
        let cut = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhello";
        assert!(parse_response(cut).is_err());
    }

    #[test]
    fn a_response_without_a_head_is_an_error() {
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn the_hashed_script_is_found_only_under_pkg_with_this_hash() {
        let html =
            r#"<link href="/pkg/site.Ab1.css"><script src="/pkg/my-site_x.Zz9.js"></script>"#;
        assert_eq!(hashed_script(html, "Zz9"), Some("/pkg/my-site_x.Zz9.js"));
        assert_eq!(hashed_script(html, "Other"), None);
        assert_eq!(hashed_script(r#"src="/static/site.Zz9.js""#, "Zz9"), None);
        assert_eq!(hashed_script(r#"src="/pkg/.Zz9.js""#, "Zz9"), None);
    }
}
