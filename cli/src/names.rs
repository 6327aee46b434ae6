//! Names as the user types them, checked, and the forms a project needs of
//! them (crate name, type name, proto package, environment prefix).

/// Rust's keywords (strict and reserved): none may be a field or a function
/// part on its own.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Crate names a project cannot take: they would shadow what it uses.
const TAKEN: &[&str] = &["bia", "std", "core", "alloc", "test", "proc_macro", "tokio", "serde", "sqlx", "clap", "uuid"];

/// The words of a name: `order-item`, `order_item` and `OrderItem` are all
/// `order`, `item`. `None` when the name is not made of ASCII letters and
/// digits in words that start with a letter.
pub fn words(name: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    for part in name.split(['-', '_']) {
        if part.is_empty() {
            return None;
        }
        let mut word = String::new();
        let mut prev_lower = false;
        for c in part.chars() {
            if !c.is_ascii_alphanumeric() {
                return None;
            }
            if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            word.push(c.to_ascii_lowercase());
        }
        words.push(word);
    }
    let starts_with_letter = words.first().and_then(|w| w.chars().next()).is_some_and(|c| c.is_ascii_alphabetic());
    starts_with_letter.then_some(words)
}

/// `OrderItem`.
pub fn pascal(words: &[String]) -> String {
    words.iter().map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect()
}

/// `order_item`.
pub fn snake(words: &[String]) -> String {
    words.join("_")
}

/// `order-item`.
pub fn kebab(words: &[String]) -> String {
    words.join("-")
}

/// A project name: a cargo package name in lower-case words joined by `-`
/// or `_`, not a keyword nor a crate it uses. The error says what to type.
pub fn check_project(name: &str) -> Result<Vec<String>, String> {
    let lower = name.chars().all(|c| !c.is_ascii_uppercase());
    let words = words(name).filter(|_| lower && name.len() <= 64).ok_or_else(|| {
        format!("`{name}` is not a project name: use lower-case letters, digits and `-`, starting with a letter (like `user-service`)")
    })?;
    let crate_name = snake(&words);
    if KEYWORDS.contains(&crate_name.as_str()) || TAKEN.contains(&crate_name.as_str()) {
        return Err(format!("`{name}` is taken by Rust or by a crate the project uses: choose another name"));
    }
    Ok(words)
}

/// The resource of a project: its name without a `service` word at the end
/// (`user-service` serves users).
pub fn resource_of(words: &[String]) -> Vec<String> {
    match words.split_last() {
        Some((last, rest)) if last == "service" && !rest.is_empty() => rest.to_vec(),
        _ => words.to_vec(),
    }
}

/// A service name (`greeter`, `order-item`, `OrderItem`): words of letters
/// and digits; its snake form must not be a Rust keyword.
pub fn check_service(name: &str) -> Result<Vec<String>, String> {
    let words = words(name).filter(|_| name.len() <= 64).ok_or_else(|| {
        format!("`{name}` is not a service name: use letters and digits, words joined by `-` or `_` or in PascalCase, starting with a letter (like `greeter` or `order-item`)")
    })?;
    check_not_keyword(&words, name)?;
    Ok(words)
}

/// The resource's snake name is used as a field and inside function names.
pub fn check_not_keyword(words: &[String], name: &str) -> Result<(), String> {
    let snake = snake(words);
    if KEYWORDS.contains(&snake.as_str()) {
        return Err(format!("`{name}` makes `{snake}`, a Rust keyword, a field name: choose another name"));
    }
    Ok(())
}

/// A proto package: dot-separated lower-case identifiers (`user.v1`).
pub fn check_package(package: &str) -> Result<(), String> {
    let ok = !package.is_empty()
        && package.len() <= 128
        && package.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{package}` is not a proto package: use lower-case identifiers joined by dots, like `user.v1` or `acme.shop.v1`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(name: &str) -> Vec<String> {
        words(name).unwrap()
    }

    #[test]
    fn words_of_every_spelling() {
        assert_eq!(w("order-item"), ["order", "item"]);
        assert_eq!(w("order_item"), ["order", "item"]);
        assert_eq!(w("OrderItem"), ["order", "item"]);
        assert_eq!(w("greeter"), ["greeter"]);
        assert_eq!(w("v2api"), ["v2api"]);
        for bad in ["", "-a", "a--b", "a b", "1abc", "é", "a.b"] {
            assert!(words(bad).is_none(), "{bad}");
        }
        assert_eq!(pascal(&w("order-item")), "OrderItem");
        assert_eq!(snake(&w("OrderItem")), "order_item");
        assert_eq!(kebab(&w("order_item")), "order-item");
    }

    #[test]
    fn projects_services_and_packages() {
        assert_eq!(resource_of(&check_project("user-service").unwrap()), ["user"]);
        assert_eq!(resource_of(&check_project("service").unwrap()), ["service"]);
        assert!(check_project("User").is_err());
        assert!(check_project("type").is_err());
        assert!(check_project("bia").is_err());
        assert!(check_project("my app").is_err());
        assert!(check_service("type").is_err());
        assert!(check_service("OrderItem").is_ok());
        assert!(check_package("user.v1").is_ok());
        for bad in ["User.v1", "user..v1", ".v1", "1user", "user-v1", ""] {
            assert!(check_package(bad).is_err(), "{bad}");
        }
    }
}
