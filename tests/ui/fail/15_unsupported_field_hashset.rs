use std::collections::HashSet;

#[bia::message(package = "ui.v1")]
pub struct User {
    pub tags: HashSet<String>,
}

fn main() {}
