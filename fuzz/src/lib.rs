//! The fuzz targets' one entry: `pumphound::fuzzing::check`, named by the target.

pub use pumphound::fuzzing::Target;

/// Run the checks of the fuzz target `name` on `data`.
pub fn run(name: &str, data: &[u8]) {
    match Target::from_name(name) {
        Some(target) => pumphound::fuzzing::check(target, data),
        None => panic!("no fuzz target {name}"),
    }
}
