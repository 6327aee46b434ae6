pub struct Cache<T>(Vec<T>);

#[bia::provider]
fn new_cache<T: Send + 'static>() -> Cache<T> {
    Cache(Vec::new())
}

fn main() {}
