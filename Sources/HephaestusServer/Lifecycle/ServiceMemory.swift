#if canImport(Glibc)
    import CMalloc
#endif

/// How the service keeps glibc's allocator from holding on to the memory of large request bodies. A large body is read,
/// parsed and verified on different threads, and glibc keeps freed memory in the arena of the thread that freed it:
/// left alone, every arena would keep the peak of the largest body it ever saw, and the service's memory would grow
/// with the number of arenas (up to eight per core) rather than stay at one body's peak.
enum ServiceMemory {
    /// Allocations from this size up are mapped on their own and unmapped when freed. glibc raises this threshold each
    /// time it unmaps a block (up to 32 MiB), after which a body's buffers would come from, and stay in, the arenas; a
    /// fixed threshold keeps them out. Allocations this large are rare on the request path (bodies, batch results).
    static let mappedAllocationThreshold: Int32 = 256 << 10

    /// Applied once, when the service starts.
    static func configure() {
        #if canImport(Glibc)
            _ = mallopt(M_MMAP_THRESHOLD, mappedAllocationThreshold)
        #endif
    }

    /// Hands the pages the arenas hold free back to the system (after a large body's request, ``BodyBudget``).
    static func returnFreedMemory() {
        #if canImport(Glibc)
            _ = malloc_trim(0)
        #endif
    }
}
