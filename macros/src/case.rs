//! Every name-case rule in one place: Rust snake_case fields and methods,
//! proto3 lowerCamelCase JSON names, PascalCase RPC names, SCREAMING_SNAKE
//! enum values, error reasons and constants.

/// protoc's JSON name: drop each `_` and upper-case the next letter
/// (`user_id` -> `userId`).
pub fn json_name(field: &str) -> String {
    join_words(field, false)
}

/// `get_user` -> `GetUser`.
pub fn pascal(snake: &str) -> String {
    join_words(snake, true)
}

/// Drops `_` and upper-cases the letter after each, and the first when asked.
fn join_words(snake: &str, upper_first: bool) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = upper_first;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `UserNotFound` -> `USER_NOT_FOUND`, `get_user` -> `GET_USER`, `HTTPCode` -> `HTTP_CODE`.
pub fn screaming_snake(name: &str) -> String {
    snake(name).to_uppercase()
}

/// `UserNotFound` -> `user_not_found`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && !out.ends_with('_') && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The name of an identifier without its `r#` prefix.
pub fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(json_name("user_id"), "userId");
        assert_eq!(json_name("page_size"), "pageSize");
        assert_eq!(json_name("a_b_c"), "aBC");
        assert_eq!(pascal("get_user"), "GetUser");
        assert_eq!(pascal("say_hello"), "SayHello");
        assert_eq!(screaming_snake("UserNotFound"), "USER_NOT_FOUND");
        assert_eq!(screaming_snake("HTTPCode"), "HTTP_CODE");
        assert_eq!(screaming_snake("get_user"), "GET_USER");
        assert_eq!(snake("Role2Admin"), "role2_admin");
    }
}
