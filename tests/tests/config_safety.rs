//! Safe configuration: placeholders are substituted into parsed values (an
//! environment value never becomes structure and is never expanded again),
//! and no secret reaches an error message or a log line: config errors,
//! config reload logs, the App's start log, JWT key errors.
//!
//! (Its own test binary: the log subscriber here is the process-wide one.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bia::config::Loader;
use bia::middleware::jwt::{Jwks, ServerConfig, SigningKey, VerifyingKey};
use serde::Deserialize;
use serde_json::{json, Value};

/// Everything any thread of this binary logs.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logs() -> &'static Buffer {
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Buffer::default();
        let writer = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buf
    })
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().0.lock().unwrap()).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("bia-config-safety-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file's values as loaded, whatever their shape.
fn load_any(name: &str, text: &str) -> BTreeMap<String, Value> {
    Loader::new().embedded(name, text).env_prefix(None).load().unwrap_or_else(|e| panic!("{name}: {e}"))
}

const YAML_INJECTION: &str = "x\nauth: {jwt: {enabled: false}}";
const TOML_INJECTION: &str = "x\"\n[auth.jwt]\nenabled = false\n#";

#[test]
fn an_environment_value_stays_one_string_and_adds_no_key() {
    std::env::set_var("CFGSAFE_YAML_INJECTION", YAML_INJECTION);
    std::env::set_var("CFGSAFE_TOML_INJECTION", TOML_INJECTION);
    for payload in ["CFGSAFE_YAML_INJECTION", "CFGSAFE_TOML_INJECTION"] {
        let want = std::env::var(payload).unwrap();

        // In a top-level value of a file that has no `auth`: no `auth` appears.
        let yaml = load_any("top.yaml", &format!("name: ${{{payload}}}\n"));
        assert_eq!(yaml.keys().collect::<Vec<_>>(), ["name"], "{payload}: {yaml:?}");
        assert_eq!(yaml["name"], Value::from(want.clone()));
        let toml = load_any("top.toml", &format!("name = \"${{{payload}}}\"\n"));
        assert_eq!(toml.keys().collect::<Vec<_>>(), ["name"], "{payload}: {toml:?}");
        assert_eq!(toml["name"], Value::from(want.clone()));

        // Next to the key it tries to override: that key keeps its value.
        let yaml = load_any(
            "nested.yaml",
            &format!("auth:\n  jwt:\n    enabled: true\n    secret: ${{{payload}}}\nname: n\n"),
        );
        assert_eq!(yaml["auth"], json!({"jwt": {"enabled": true, "secret": want}}), "{payload}");
        assert_eq!(yaml.len(), 2);
        let toml = load_any(
            "nested.toml",
            &format!("name = \"n\"\n[auth.jwt]\nenabled = true\nsecret = \"${{{payload}}}\"\n"),
        );
        assert_eq!(toml["auth"], json!({"jwt": {"enabled": true, "secret": want}}), "{payload}");
        assert_eq!(toml.len(), 2);
    }

    // Typed: the flag stays on, the secret holds the whole text.
    #[derive(Deserialize)]
    struct Conf {
        auth: Auth,
    }
    #[derive(Deserialize)]
    struct Auth {
        jwt: Jwt,
    }
    #[derive(Deserialize)]
    struct Jwt {
        enabled: bool,
        secret: String,
    }
    let conf: Conf = Loader::new()
        .embedded("typed.yaml", "auth:\n  jwt:\n    secret: ${CFGSAFE_YAML_INJECTION}\n    enabled: true\n")
        .env_prefix(None)
        .load()
        .unwrap();
    assert!(conf.auth.jwt.enabled);
    assert_eq!(conf.auth.jwt.secret, YAML_INJECTION);
}

#[test]
fn values_from_the_environment_are_not_expanded_again() {
    std::env::set_var("CFGSAFE_TARGET", "expanded");
    std::env::set_var("CFGSAFE_REFERS", "${CFGSAFE_TARGET} and ${CFGSAFE_UNSET_NO_DEFAULT}");
    std::env::set_var("CFGSAFEOV_OVERRIDE", "${CFGSAFE_TARGET}");
    let text =
        "a: ${CFGSAFE_REFERS}\nb: ${CFGSAFE_UNSET_TOO:${CFGSAFE_TARGET}}\nc: ${CFGSAFE_TARGET}\noverride: file\n";
    let got: BTreeMap<String, String> =
        Loader::new().embedded("refs.yaml", text).env_prefix(Some("CFGSAFEOV_")).load().unwrap();
    assert_eq!(got["a"], "${CFGSAFE_TARGET} and ${CFGSAFE_UNSET_NO_DEFAULT}", "a value is not scanned again");
    assert_eq!(got["c"], "expanded", "the file's own placeholders are");
    // A default is text too: `${A:${B}}` is default `${B` then `}`.
    assert_eq!(got["b"], "${CFGSAFE_TARGET}");
    assert_eq!(got["override"], "${CFGSAFE_TARGET}", "an override is a value as it is");
}

#[test]
fn placeholders_keep_their_forms_and_types() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Conf {
        addr: String,
        url: String,
        port: u16,
        backup_port: u16,
        enabled: bool,
        ratio: f64,
        password: String,
        tags: Vec<String>,
    }
    std::env::set_var("CFGSAFE_HOST", "10.0.0.7");
    std::env::set_var("CFGSAFE_BACKUP_PORT", "9001");
    std::env::set_var("CFGSAFE_NUMERIC_PASSWORD", "007");
    let yaml = "addr: ${CFGSAFE_HOST}:8000\nurl: ${CFGSAFE_UNSET_URL:http://localhost:8080/x}\nport: ${CFGSAFE_UNSET_PORT:8000}\n\
                backup_port: ${CFGSAFE_BACKUP_PORT}\nenabled: ${CFGSAFE_UNSET_ON:true}\nratio: ${CFGSAFE_UNSET_RATIO:0.5}\n\
                password: ${CFGSAFE_NUMERIC_PASSWORD}\ntags: [a, \"${CFGSAFE_HOST}\"]\n";
    let want = Conf {
        addr: "10.0.0.7:8000".into(),
        url: "http://localhost:8080/x".into(),
        port: 8000,
        backup_port: 9001,
        enabled: true,
        ratio: 0.5,
        password: "007".into(),
        tags: vec!["a".into(), "10.0.0.7".into()],
    };
    let conf: Conf = Loader::new().embedded("types.yaml", yaml).env_prefix(None).load().unwrap();
    assert_eq!(conf, want);
    let toml = "addr = \"${CFGSAFE_HOST}:8000\"\nurl = \"${CFGSAFE_UNSET_URL:http://localhost:8080/x}\"\n\
                port = \"${CFGSAFE_UNSET_PORT:8000}\"\nbackup_port = \"${CFGSAFE_BACKUP_PORT}\"\n\
                enabled = \"${CFGSAFE_UNSET_ON:true}\"\nratio = \"${CFGSAFE_UNSET_RATIO:0.5}\"\n\
                password = \"${CFGSAFE_NUMERIC_PASSWORD}\"\ntags = [\"a\", \"${CFGSAFE_HOST}\"]\n";
    let conf: Conf = Loader::new().embedded("types.toml", toml).env_prefix(None).load().unwrap();
    assert_eq!(conf, want);
    // Not a number: the error names the key and the type, not the value.
    std::env::set_var("CFGSAFE_BAD_PORT", "eighty-s3cret");
    let e = Loader::new()
        .embedded("types.yaml", yaml.replace("${CFGSAFE_BACKUP_PORT}", "${CFGSAFE_BAD_PORT}"))
        .env_prefix(None)
        .load::<Conf>()
        .unwrap_err();
    let m = e.message();
    assert!(m.contains("backup_port") && m.contains("u16") && m.contains("types.yaml"), "{m}");
    assert!(!m.contains("eighty"), "{m}");
}

#[test]
fn placeholder_errors_name_the_file_the_key_and_the_variable() {
    let dir = temp_dir("placeholders");
    let file = dir.join("app.yaml");
    std::fs::write(&file, "data:\n  source: ${CFGSAFE_UNSET_DB}\n").unwrap();
    let e = Loader::new().path(&file).env_prefix(None).load::<Value>().unwrap_err();
    let m = e.message();
    assert!(m.contains("app.yaml") && m.contains("data.source") && m.contains("CFGSAFE_UNSET_DB"), "{m}");
    assert_eq!((e.code(), e.reason()), (500, "CONFIG"));

    std::fs::write(&file, "data:\n  source: ${CFGSAFE_OOPS-hunter2-rest-of-value\n").unwrap();
    let m = Loader::new().path(&file).env_prefix(None).load::<Value>().unwrap_err().message().to_owned();
    assert!(m.contains("app.yaml") && m.contains("unclosed placeholder `${CFGSAFE_OOPS`"), "{m}");
    assert!(!m.contains("hunter2"), "{m}");

    // A TOML placeholder outside a string (valid before placeholders became
    // values) is a parse error with the fix in it.
    let toml = dir.join("app.toml");
    std::fs::write(&toml, "port = ${CFGSAFE_PORT:8000}\n").unwrap();
    let m = Loader::new().path(&toml).env_prefix(None).load::<Value>().unwrap_err().message().to_owned();
    assert!(m.contains("app.toml") && m.contains("port = \"${PORT:8000}\""), "{m}");
}

const SECRET: &str = "jwt-s3cret-never-printed";
const DB_PASSWORD: &str = "pg-passw0rd-never-printed";
const ENV_SECRET: &str = "env-t0ken-never-printed";

/// Asserts no secret of this file is in `text`.
fn assert_clean(text: &str) {
    for secret in [SECRET, DB_PASSWORD, ENV_SECRET, "hunter2", "jwkspass", "qtok", "regpass", "QUJD"] {
        assert!(!text.contains(secret), "`{secret}` leaked into:\n{text}");
    }
}

/// A field whose parser quotes what it was given, as many do.
#[derive(Debug)]
struct Chatty;

impl<'de> Deserialize<'de> for Chatty {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Err(serde::de::Error::custom(format!("`{s}` is not a chatty value (postgres://app:{DB_PASSWORD}@db/x)")))
    }
}

#[test]
fn config_errors_never_show_values() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Conf {
        server: Server,
        auth: Auth,
        data: Data,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Server {
        port: u16,
        #[serde(with = "humantime_serde", default)]
        timeout: Option<Duration>,
        #[serde(default)]
        chatty: Option<Chatty>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Auth {
        secret: u64,
        #[serde(default)]
        api_key: Option<Chatty>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Data {
        source: bool,
    }
    std::env::set_var("CFGSAFEERR_AUTH__TOKEN", ENV_SECRET);
    let good = [
        ("server.port", "8000".to_owned()),
        ("server.timeout", "1s".to_owned()),
        ("auth.secret", "42".to_owned()),
        ("data.source", "true".to_owned()),
    ];
    // One bad value at a time (a load stops at the first), each next to
    // secrets: a JWT secret, a URL with a password, an env override token.
    let cases = [
        ("server.port", SECRET.to_owned(), "expected u16, found a string"),
        ("server.timeout", SECRET.to_owned(), "server.timeout"),
        ("server.chatty", SECRET.to_owned(), "is not a chatty value"),
        ("auth.secret", SECRET.to_owned(), "expected u64, found a string"),
        ("auth.api_key", SECRET.to_owned(), "withheld"),
        ("data.source", format!("postgres://app:{DB_PASSWORD}@db:5432/users"), "expected a boolean, found a string"),
    ];
    let dir = temp_dir("errors");
    let file = dir.join("config.yaml");
    for (bad_key, bad_value, said) in cases {
        let mut values: BTreeMap<&str, String> = good.iter().cloned().collect();
        values.insert(bad_key, bad_value);
        values.insert("auth.password", SECRET.to_owned());
        values.insert("data.url", format!("mysql://root:{DB_PASSWORD}@db/x"));
        let mut sections: BTreeMap<&str, String> = BTreeMap::new();
        for (key, value) in &values {
            let (section, field) = key.split_once('.').unwrap();
            sections.entry(section).or_default().push_str(&format!("  {field}: \"{value}\"\n"));
        }
        let text: String = sections.iter().map(|(s, fields)| format!("{s}:\n{fields}")).collect();
        std::fs::write(&file, &text).unwrap();
        let e = Loader::new().path(&file).env_prefix(Some("CFGSAFEERR_")).load::<Conf>().unwrap_err();
        let m = e.message();
        assert!(m.contains(bad_key) && m.contains("config.yaml") && m.contains(said), "{bad_key}: {m}");
        assert_clean(m);
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
    }

    // Parse errors do not quote the file either.
    std::fs::write(&file, format!("a: \"{SECRET}\nb: [\n")).unwrap();
    assert_clean(Loader::new().path(&file).load::<Value>().unwrap_err().message());
    let toml = dir.join("config.toml");
    std::fs::write(&toml, format!("secret = \"{SECRET}\nport = 1\n")).unwrap();
    let m = Loader::new().path(&toml).load::<Value>().unwrap_err().message().to_owned();
    assert!(m.contains("config.toml") && m.contains("line 1"), "{m}");
    assert_clean(&m);

    // Nor does a loader's Debug show embedded defaults.
    assert_clean(&format!("{:?}", Loader::new().embedded("defaults.yaml", format!("secret: {SECRET}\n"))));
}

#[test]
fn redaction_hides_url_passwords() {
    let redact = |s: &str| bia::config::redact(s).into_owned();
    assert_eq!(redact(&format!("postgres://app:{DB_PASSWORD}@db/users")), "postgres://app:***@db/users");
    assert_eq!(redact(&format!("mysql://root:{DB_PASSWORD}@db:3306/x")), "mysql://root:***@db:3306/x");
    assert_eq!(redact(&format!("https://user:{SECRET}@example.com/a")), "https://user:***@example.com/a");
    assert_eq!(redact(&format!("root:{DB_PASSWORD}@tcp(db:3306)/x")), "root:***@tcp(db:3306)/x");
}

#[test]
fn a_failed_reload_logs_no_secret() {
    logs();
    let dir = temp_dir("reload");
    let file = dir.join("config.yaml");
    std::fs::write(&file, "port: 8000\nsecret: ok-to-load\n").unwrap();
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Conf {
        port: u16,
        secret: String,
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let watched = Loader::new()
        .path(&file)
        .env_prefix(None)
        .watch(move |c: &Conf| {
            let _ = tx.send(c.port);
        })
        .unwrap();
    // A bad port next to a secret, then a file that no longer parses.
    std::fs::write(&file, format!("port: {SECRET}\nsecret: {SECRET}\n")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logged().contains("configuration reload failed") {
        assert!(Instant::now() < deadline, "no reload failure logged:\n{}", logged());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(&file, format!("port: 1\nsecret: \"{SECRET}\n")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(rx.try_recv().is_err(), "no bad value reaches observers");
    assert_eq!(watched.get().port, 8000);
    let out = logged();
    assert!(out.contains("port") && out.contains("u16"), "{out}");
    assert_clean(&out);
}

#[tokio::test]
async fn the_start_log_hides_endpoint_credentials() {
    logs();
    let registry = Arc::new(bia::registry::StaticRegistry::new());
    let running = bia::App::new("cfgsafe")
        .registrar(registry)
        .endpoint("https://svc:regpass@10.0.0.9:8443")
        .signals(false)
        .start()
        .await
        .unwrap();
    running.stop().await.unwrap();
    let out = logged();
    assert!(out.contains("registered cfgsafe at https://svc:***@10.0.0.9:8443"), "{out}");
    assert_clean(&out);
}

#[tokio::test]
async fn jwt_key_errors_never_quote_keys() {
    logs();
    // A "PEM" whose body is a secret (`QUJD` is base64 of "ABC").
    let pem = format!("-----BEGIN PUBLIC KEY-----\nQUJD{SECRET}!\n-----END PUBLIC KEY-----\n");
    let private = format!("-----BEGIN PRIVATE KEY-----\nQUJD{SECRET}\n-----END PRIVATE KEY-----\n");
    let weird_label = format!("-----BEGIN {SECRET}-----\nQUJD\n-----END {SECRET}-----\n");
    let errors = [
        VerifyingKey::rs256_pem(&pem).unwrap_err(),
        VerifyingKey::es256_pem(&pem).unwrap_err(),
        VerifyingKey::rs256_pem(&private).unwrap_err(),
        VerifyingKey::rs256_pem(&weird_label).unwrap_err(),
        SigningKey::rs256_pem(&private).unwrap_err(),
        SigningKey::es256_pem(&pem).unwrap_err(),
        SigningKey::hs256(SECRET).unwrap().public_jwk("k").unwrap_err(),
        VerifyingKey::from_jwk(&json!({"kty": "oct", "k": SECRET})).unwrap_err(),
        VerifyingKey::from_jwk(&json!({"kty": "RSA", "n": SECRET, "e": "AQAB", "alg": "ES256"})).unwrap_err(),
        VerifyingKey::from_jwk(&json!({"kty": "EC", "crv": "P-256", "x": SECRET, "y": "QUJD"})).unwrap_err(),
    ];
    for e in &errors {
        assert_eq!((e.code(), e.reason()), (500, "BAD_JWT_KEY"), "{e}");
        assert_clean(&e.to_string());
        assert_clean(&format!("{e:?}"));
    }

    // The config section: its Debug, and a key file holding the wrong half.
    let dir = temp_dir("jwt");
    let key_file = dir.join("key.pem");
    std::fs::write(&key_file, &private).unwrap();
    let conf: ServerConfig = Loader::new()
        .embedded("jwt.yaml", format!("public_key_file: {}\n", key_file.display()))
        .env_prefix(None)
        .load()
        .unwrap();
    let e = conf.build().await.unwrap_err();
    assert!(e.message().contains("private key"), "{e}");
    assert_clean(&e.to_string());
    let conf: ServerConfig = Loader::new()
        .embedded("jwt.yaml", format!("secret: {SECRET}\njwks_url: http://u:jwkspass@127.0.0.1:1/k?t=qtok\n"))
        .env_prefix(None)
        .load()
        .unwrap();
    assert_clean(&format!("{conf:?}"));
    assert!(conf.build().await.unwrap_err().message().contains("exactly one of"));

    // A JWKS URL's credentials and query appear nowhere: not in the fetch
    // error, not in the log of a failed refresh.
    let jwks = Jwks::new("http://u:jwkspass@127.0.0.1:1/keys?t=qtok").unwrap().timeout(Duration::from_secs(2));
    assert_eq!(jwks.url(), "http://127.0.0.1:1/keys");
    let e = jwks.fetch().await.unwrap_err();
    assert!(e.message().contains("http://127.0.0.1:1/keys cannot be fetched"), "{e}");
    assert_clean(&e.to_string());
    assert_clean(&format!("{jwks:?}"));
    assert_clean(&logged());
}
