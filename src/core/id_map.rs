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

    /// The value for `id`, mutably.
    pub fn get_mut(&mut self, id: OrderId) -> Option<&mut V> {
        let i = self.find(id).ok()?;
        self.entries.get_mut(i).map(|(_, v)| v)
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

impl<V> FromIterator<(OrderId, V)> for IdMap<V> {
    /// Later duplicates replace earlier ones, as in a `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (OrderId, V)>>(iter: I) -> Self {
        let mut m = IdMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}
