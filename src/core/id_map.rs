//! A map keyed by order id, kept sorted in a ring buffer.
//!
//! Why not `BTreeMap`: every `BTreeMap<K, V>` instantiation adds several KB of wasm, and
//! these maps are small and mostly see ids in order: new orders carry the highest id
//! (appended at the back) and the book evicts the lowest (popped from the front), both
//! O(1); a lookup is a binary search.

use std::collections::VecDeque;

use super::wire::OrderId;

/// Entries sorted by id, at most one per id.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    entries: VecDeque<(OrderId, V)>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            entries: VecDeque::new(),
        }
    }
}

impl<V> IdMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn find(&self, id: OrderId) -> Result<usize, usize> {
        // Fast path: the newest id is compared first, since that is where new orders go.
        match self.entries.back() {
            Some((last, _)) if id > *last => Err(self.entries.len()),
            _ => self.entries.binary_search_by_key(&id, |(k, _)| *k),
        }
    }

    /// A map from entries sorted by descending id, one per id (O(n); the caller
    /// guarantees the order, which lookups rely on).
    pub fn from_newest_first(entries: Vec<(OrderId, V)>) -> Self {
        let mut map = IdMap {
            entries: VecDeque::with_capacity(entries.len()),
        };
        for e in entries {
            map.entries.push_front(e);
        }
        map
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `id` is present.
    pub fn contains(&self, id: OrderId) -> bool {
        self.find(id).is_ok()
    }

    /// The value for `id`.
    pub fn get(&self, id: OrderId) -> Option<&V> {
        let i = self.find(id).ok()?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, id: OrderId, value: V) -> Option<V> {
        match self.find(id) {
            Ok(i) => self
                .entries
                .get_mut(i)
                .map(|slot| std::mem::replace(&mut slot.1, value)),
            Err(i) => {
                self.entries.insert(i, (id, value));
                None
            }
        }
    }

    /// Removes `id`; returns its value.
    pub fn remove(&mut self, id: OrderId) -> Option<V> {
        let i = self.find(id).ok()?;
        self.entries.remove(i).map(|(_, v)| v)
    }

    /// Removes and returns the lowest id.
    pub fn pop_first(&mut self) -> Option<(OrderId, V)> {
        self.entries.pop_front()
    }

    /// Entries by ascending id.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (OrderId, &V)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Removes everything, returning the entries by ascending id.
    pub fn take(&mut self) -> impl DoubleEndedIterator<Item = (OrderId, V)> {
        std::mem::take(&mut self.entries).into_iter()
    }

    /// Empties the map.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Sorts `items` newest (highest id) first in O(n log n) without allocating: in place,
/// by heapsort (std's sorts are several KB of wasm each), after a check for the spec's
/// `init`, which is newest first already.
pub fn sort_newest_first<T>(items: &mut [T], id: impl Fn(&T) -> OrderId) {
    let key = |items: &[T], i: usize| items.get(i).map_or(0, &id);
    let n = items.len();
    if (1..n).all(|i| key(items, i - 1) >= key(items, i)) {
        return;
    }
    // Sift `root` down within the first `end` items (a min-heap on id: the lowest ids
    // go to the back).
    let sift = |items: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && key(items, child) > key(items, child + 1) {
            child += 1;
        }
        if key(items, root) <= key(items, child) {
            break;
        }
        items.swap(root, child);
        root = child;
    };
    for root in (0..n / 2).rev() {
        sift(items, root, n);
    }
    for end in (1..n).rev() {
        items.swap(0, end);
        sift(items, 0, end);
    }
}
