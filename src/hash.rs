//! The hash maps of the hot paths: foldhash, seeded per process (keys come partly from input, so
//! a fixed seed would invite collision floods), several times faster than std's SipHash here.
//! Iteration order is unspecified, as with std's maps: callers sort what they print.

pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
