//! What `data.database` names, resolved to the backend and the URL sqlx
//! connects to: `sqlite://`, `postgres://` and `mysql://` (or `mariadb://`)
//! URLs as they are, and the Go MySQL driver's DSN that the Kratos tutorial
//! configures with `driver: mysql` (`root:123456@tcp(127.0.0.1:3306)/test?parseTime=true`)
//! rewritten as a `mysql://` URL.

use std::fmt;

/// The database behind a source (`data.database.driver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// SQLite (`sqlite3` is the Go driver's name).
    #[serde(alias = "sqlite3")]
    Sqlite,
    #[serde(alias = "postgresql")]
    Postgres,
    /// MySQL or MariaDB: one wire protocol, one dialect for our statements.
    #[serde(alias = "mariadb")]
    Mysql,
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Driver::Sqlite => "sqlite",
            Driver::Postgres => "postgres",
            Driver::Mysql => "mysql",
        })
    }
}

/// A source resolved: which backend, and the URL sqlx's `Any` driver opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub driver: Driver,
    pub url: String,
}

/// Resolves `source` (with the config's `driver`, if it has one). The error
/// says what is wrong with the source, without repeating it.
pub fn resolve(driver: Option<Driver>, source: &str) -> Result<Resolved, String> {
    let source = source.trim();
    let scheme = url_scheme(source);
    if let Some(of_url) = scheme.and_then(driver_of_scheme) {
        return match driver {
            Some(d) if d != of_url => Err(format!("`driver: {d}` but the source is a {of_url} URL")),
            _ => Ok(Resolved { driver: of_url, url: source.to_owned() }),
        };
    }
    match driver {
        // A user name that reads like a URL scheme (`root://…@tcp(…)/db`) is
        // still a DSN when the config says `driver: mysql`.
        Some(Driver::Mysql) => go_dsn_to_url(source),
        None if scheme.is_none() && has_go_address(source) => go_dsn_to_url(source),
        Some(d) => Err(format!("`driver: {d}` needs a {d}:// URL")),
        None => Err(match scheme {
            Some(s) => format!("unknown URL scheme `{s}:`"),
            None => "not a database URL".to_owned(),
        } + ": expected sqlite://FILE, postgres://user:pass@host/db, mysql://user:pass@host:port/db \
             or the Go MySQL driver's user:pass@tcp(host:port)/db"),
    }
}

/// The source without its user and password, for messages.
pub fn redact(source: &str) -> String {
    match (source.find("://"), source.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &source[..s], &source[at..]),
        (None, _) => {
            // A Go DSN: the credentials end at the last `@` before the last `/`.
            let left = source.rfind('/').map_or(source, |slash| &source[..slash]);
            match left.rfind('@') {
                Some(at) => format!("***{}", &source[at..]),
                None => source.to_owned(),
            }
        }
        _ => source.to_owned(),
    }
}

/// `postgres` of `postgres://…`; `sqlite` of `sqlite:FILE` too (sqlx takes it
/// without slashes). `root` of the DSN `root:pw@tcp(…)/db` is no scheme.
fn url_scheme(source: &str) -> Option<&str> {
    let (scheme, rest) = source.split_once(':')?;
    let well_formed = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (well_formed && (rest.starts_with("//") || scheme.eq_ignore_ascii_case("sqlite"))).then_some(scheme)
}

fn driver_of_scheme(scheme: &str) -> Option<Driver> {
    match scheme.to_ascii_lowercase().as_str() {
        "sqlite" => Some(Driver::Sqlite),
        "postgres" | "postgresql" => Some(Driver::Postgres),
        "mysql" | "mariadb" => Some(Driver::Mysql),
        _ => None,
    }
}

/// Whether the source has a Go DSN's `net(addr)` before its `/dbname`: only
/// then is a source without a scheme (and without `driver`) read as a DSN, so
/// a mistyped path is not taken for one.
fn has_go_address(source: &str) -> bool {
    let left = source.rfind('/').map_or("", |slash| &source[..slash]);
    let after_at = left.rfind('@').map_or(left, |at| &left[at + 1..]);
    after_at.contains('(') && after_at.ends_with(')')
}

/// The Go driver's parameters that only tune its own client (time parsing,
/// timeouts, packet sizes, auth fallbacks, interpolation): nothing this
/// service's statements depend on — times are stored as integers, so
/// `parseTime` and `loc` have no column to act on. They are accepted and
/// ignored, so the tutorial's DSN works as written.
const GO_CLIENT_ONLY: &[&str] = &[
    "allowAllFiles",
    "allowCleartextPasswords",
    "allowFallbackToPlaintext",
    "allowNativePasswords",
    "allowOldPasswords",
    "checkConnLiveness",
    "clientFoundRows",
    "columnsWithAlias",
    "compress",
    "connectionAttributes",
    "interpolateParams",
    "loc",
    "maxAllowedPacket",
    "multiStatements",
    "parseTime",
    "readTimeout",
    "rejectReadOnly",
    "serverPubKey",
    "timeTruncate",
    "timeout",
    "writeTimeout",
];

/// `[user[:password]@][net[(addr)]]/dbname[?param1=value1&...]`, split as the
/// Go driver splits it (its `ParseDSN`): the last `/` ends the address (so a
/// `/` in a parameter value must be written `%2F`, as Go requires too), the
/// last `@` before it ends the password, the first `:` ends the user.
fn go_dsn_to_url(dsn: &str) -> Result<Resolved, String> {
    let Some(slash) = dsn.rfind('/') else {
        return Err("a Go MySQL DSN needs `/dbname` (user:pass@tcp(host:port)/db)".to_owned());
    };
    let (left, right) = (&dsn[..slash], &dsn[slash + 1..]);
    let (credentials, address) = match left.rfind('@') {
        Some(at) => (Some(&left[..at]), &left[at + 1..]),
        None => (None, left),
    };
    let (user, password) = match credentials {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (c, None),
        },
        None => ("", None),
    };
    let (net, addr) = match address.split_once('(') {
        Some((net, rest)) => match rest.strip_suffix(')') {
            Some(addr) => (net, addr),
            None if rest.contains(')') => {
                return Err("a `/` after the address `(…)`: write a `/` in a parameter value as %2F".to_owned())
            }
            None => return Err(format!("the address `{net}({rest}` is missing its closing `)`")),
        },
        None => (address, ""),
    };
    let (dbname, query) = right.split_once('?').unwrap_or((right, ""));
    let dbname = unescape(dbname, false).map_err(|e| format!("the database name: {e}"))?;
    if dbname.is_empty() {
        return Err("the DSN names no database (user:pass@tcp(host:port)/db)".to_owned());
    }

    let mut params: Vec<(&str, String)> = Vec::new();
    let host_port = match net {
        "" | "tcp" | "tcp4" | "tcp6" => Some(tcp_address(addr)?),
        "unix" => {
            let socket = if addr.is_empty() { "/tmp/mysql.sock" } else { addr };
            params.push(("socket", socket.to_owned()));
            None
        }
        other => return Err(format!("network `{other}` is not supported: use tcp(host:port) or unix(/path/to.sock)")),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("the parameter `{pair}` has no `=value`"));
        };
        let value = unescape(value, true).map_err(|e| format!("the parameter `{key}`: {e}"))?;
        if let Some(mapped) = sqlx_param(key, &value)? {
            params.push(mapped);
        }
    }

    let mut url = String::from("mysql://");
    if !user.is_empty() || password.is_some() {
        url += &escape(user);
        if let Some(p) = password {
            url += ":";
            url += &escape(p);
        }
        url += "@";
    }
    match host_port {
        Some((host, port)) => url += &format!("{host}:{port}"),
        // Over a socket the host only names the connection.
        None => url += "localhost",
    }
    url += "/";
    url += &escape(&dbname);
    for (i, (key, value)) in params.iter().enumerate() {
        url += if i == 0 { "?" } else { "&" };
        url += &format!("{key}={}", escape(value));
    }
    Ok(Resolved { driver: Driver::Mysql, url })
}

/// `host:port`, `host` (port 3306), `[::1]:port`, or empty (the Go driver's
/// default, 127.0.0.1:3306).
fn tcp_address(addr: &str) -> Result<(String, u16), String> {
    if addr.is_empty() {
        return Ok(("127.0.0.1".to_owned(), 3306));
    }
    let (host, port) = if let Some(v6) = addr.strip_prefix('[') {
        let Some((host, rest)) = v6.split_once(']') else {
            return Err(format!("the address `{addr}` is missing the `]` of its IPv6 host"));
        };
        match rest {
            "" => (format!("[{host}]"), None),
            _ => match rest.strip_prefix(':') {
                Some(port) => (format!("[{host}]"), Some(port)),
                None => return Err(format!("the address `{addr}`: expected `:port` after `]`")),
            },
        }
    } else {
        match addr.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (addr.to_owned(), None),
        }
    };
    // `:3306` dials the local host, as in Go.
    let host = if host.is_empty() { "localhost".to_owned() } else { host };
    if host.chars().any(|c| c.is_whitespace() || "/@?#%()".contains(c)) {
        return Err(format!("the address `{addr}` has no valid host"));
    }
    let port = match port {
        None => 3306,
        Some(p) => p.parse().map_err(|_| format!("the port `{p}` of `{addr}` is not a number from 0 to 65535"))?,
    };
    Ok((host, port))
}

/// A Go driver parameter as the sqlx MySQL URL parameter that does the same,
/// `None` for one that only tunes the Go client, or why it cannot be taken.
fn sqlx_param(key: &str, value: &str) -> Result<Option<(&'static str, String)>, String> {
    Ok(match key {
        // Go tries each charset of the list in turn; sqlx takes one.
        "charset" => Some(("charset", value.split(',').next().unwrap_or_default().to_owned())),
        "collation" => Some(("collation", value.to_owned())),
        // sqlx is built here without TLS: a mode that requires it fails the
        // connection (saying so) instead of falling back to plain text.
        "tls" => Some((
            "ssl-mode",
            match value.to_ascii_lowercase().as_str() {
                "false" => "DISABLED",
                "preferred" => "PREFERRED",
                "skip-verify" => "REQUIRED",
                "true" => "VERIFY_IDENTITY",
                _ => {
                    return Err(format!(
                        "`tls={value}`: a TLS config registered in Go code has no equivalent here; \
                         use tls=true, false, skip-verify or preferred"
                    ))
                }
            }
            .to_owned(),
        )),
        // A session variable the Go driver sets with `SET time_zone=…`; sqlx has an option for it.
        "time_zone" => {
            let zone = value.trim_matches('\'');
            if zone.contains('\'') {
                return Err(format!("`time_zone={value}` is not a time zone"));
            }
            Some(("timezone", zone.to_owned()))
        }
        _ if GO_CLIENT_ONLY.contains(&key) => None,
        _ => {
            return Err(format!(
                "unknown parameter `{key}` (the Go driver would run `SET {key}=…` on each connection; \
                 set it on the server instead)"
            ))
        }
    })
}

/// Percent-decodes (and `+` to a space in a query value, as Go's `QueryUnescape`).
fn unescape(s: &str, query: bool) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match (bytes.get(i + 1).and_then(hex), bytes.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    let bad = String::from_utf8_lossy(&bytes[i..(i + 3).min(bytes.len())]).into_owned();
                    return Err(format!("`{bad}` is not a %-escape"));
                }
            },
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "the %-escapes do not make UTF-8 text".to_owned())
}

fn hex(b: &u8) -> Option<u8> {
    (*b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-encodes all but the characters a URL never reads specially.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(url: &str) -> Result<Resolved, String> {
        Ok(Resolved { driver: Driver::Mysql, url: url.to_owned() })
    }

    #[test]
    fn urls_are_taken_as_they_are() {
        for (source, driver) in [
            ("sqlite://users.db?mode=rwc", Driver::Sqlite),
            ("sqlite::memory:", Driver::Sqlite),
            ("postgres://bia@127.0.0.1:5432/db", Driver::Postgres),
            ("postgresql://bia@127.0.0.1/db", Driver::Postgres),
            ("mysql://root:pw@127.0.0.1:3306/test", Driver::Mysql),
            ("mariadb://root@127.0.0.1/test", Driver::Mysql),
        ] {
            assert_eq!(resolve(None, source), Ok(Resolved { driver, url: source.to_owned() }), "{source}");
            assert_eq!(resolve(Some(driver), source).map(|r| r.driver), Ok(driver), "{source}");
        }
    }

    #[test]
    fn the_tutorials_dsn_becomes_a_mysql_url() {
        let tutorial = "root:123456@tcp(127.0.0.1:3306)/test?parseTime=true";
        assert_eq!(resolve(Some(Driver::Mysql), tutorial), mysql("mysql://root:123456@127.0.0.1:3306/test"));
        // Its `net(addr)` says what it is, with or without `driver`.
        assert_eq!(resolve(None, tutorial), mysql("mysql://root:123456@127.0.0.1:3306/test"));
        assert_eq!(
            resolve(None, "root:root@tcp(127.0.0.1:3306)/test?parseTime=True&loc=Local&charset=utf8mb4,utf8"),
            mysql("mysql://root:root@127.0.0.1:3306/test?charset=utf8mb4")
        );
    }

    #[test]
    fn dsn_forms_split_as_the_go_driver_splits_them() {
        let m = Some(Driver::Mysql);
        // The last `@` ends the password; the first `:` ends the user; both escaped.
        assert_eq!(
            resolve(m, "bia:p@ss:w/rd@tcp(db.local:3307)/app"),
            mysql("mysql://bia:p%40ss%3Aw%2Frd@db.local:3307/app")
        );
        assert_eq!(resolve(m, "bia@tcp(db.local)/app"), mysql("mysql://bia@db.local:3306/app"));
        assert_eq!(resolve(m, "/app"), mysql("mysql://127.0.0.1:3306/app"));
        assert_eq!(resolve(m, "bia@tcp6([::1]:3307)/app"), mysql("mysql://bia@[::1]:3307/app"));
        assert_eq!(resolve(m, "bia@tcp([::1])/app"), mysql("mysql://bia@[::1]:3306/app"));
        assert_eq!(
            resolve(m, "bia@unix(/run/mysqld/mysqld.sock)/app"),
            mysql("mysql://bia@localhost/app?socket=%2Frun%2Fmysqld%2Fmysqld.sock")
        );
        assert_eq!(
            resolve(m, "u@tcp(h:1)/my%20db?tls=skip-verify&time_zone=%27%2B00%3A00%27&collation=utf8mb4_bin"),
            mysql("mysql://u@h:1/my%20db?ssl-mode=REQUIRED&timezone=%2B00%3A00&collation=utf8mb4_bin")
        );
        // A user name that reads like a scheme is still a user with `driver: mysql`.
        assert_eq!(resolve(m, "root://x@tcp(h:1)/db"), mysql("mysql://root:%2F%2Fx@h:1/db"));
    }

    #[test]
    fn bad_sources_say_what_is_wrong() {
        let m = Some(Driver::Mysql);
        let cases = [
            (m, "root:secretpw@tcp(127.0.0.1:3306", "needs `/dbname`"),
            (m, "root:secretpw@tcp(127.0.0.1:3306/test", "missing its closing `)`"),
            (m, "root:secretpw@tcp(127.0.0.1:3306)/", "names no database"),
            (m, "root:secretpw@tcp(127.0.0.1:33o6)/test", "the port `33o6`"),
            (m, "root@tcp(127.0.0.1:3306)/test?loc=Asia/Shanghai", "write a `/` in a parameter value as %2F"),
            (m, "root@udp(127.0.0.1)/test", "network `udp` is not supported"),
            (m, "root@tcp(127.0.0.1)/test?parseTime", "`parseTime` has no `=value`"),
            (m, "root@tcp(127.0.0.1)/test?sql_mode=ANSI", "unknown parameter `sql_mode`"),
            (m, "root@tcp(127.0.0.1)/test?tls=custom", "`tls=custom`"),
            (m, "root@tcp(127.0.0.1)/te%zzst", "`%zz` is not a %-escape"),
            (m, "root@tcp([::1)/test", "missing the `]`"),
            (m, "postgres://bia@127.0.0.1/db", "`driver: mysql` but the source is a postgres URL"),
            (Some(Driver::Postgres), "root@tcp(127.0.0.1)/test", "`driver: postgres` needs a postgres:// URL"),
            (None, "redis://127.0.0.1", "unknown URL scheme `redis:`"),
            (None, "users.db", "not a database URL"),
        ];
        for (driver, source, want) in cases {
            let err = resolve(driver, source).expect_err(source);
            assert!(err.contains(want), "{source}: {err}");
            // The source is named by the caller, redacted; the reason does not repeat it.
            assert!(!err.contains("secretpw"), "{err}");
        }
    }

    #[test]
    fn the_driver_reads_as_the_go_drivers_name() {
        let read = |s: &str| serde_json::from_str::<Driver>(&format!("\"{s}\""));
        assert_eq!(read("mysql").unwrap(), Driver::Mysql);
        assert_eq!(read("mariadb").unwrap(), Driver::Mysql);
        assert_eq!(read("sqlite3").unwrap(), Driver::Sqlite);
        assert_eq!(read("postgres").unwrap(), Driver::Postgres);
        assert!(read("oracle").is_err());
    }

    #[test]
    fn redact_hides_credentials_of_urls_and_dsns() {
        assert_eq!(redact("mysql://root:pw@127.0.0.1/test"), "mysql://***@127.0.0.1/test");
        assert_eq!(
            redact("root:p@ss@tcp(127.0.0.1:3306)/test?parseTime=true"),
            "***@tcp(127.0.0.1:3306)/test?parseTime=true"
        );
        assert_eq!(redact("sqlite://users.db?mode=rwc"), "sqlite://users.db?mode=rwc");
    }
}
