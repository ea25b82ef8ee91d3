import Foundation
import HephaestusPlatform
import Synchronization
import Testing

/// The one "N at a time, results in input order" helper.
@Suite("parallel map")
struct ParallelMapTests {
    struct Odd: Error, Equatable { let value: Int }

    @Test("results come back in input order, with at most `jobs` running at once")
    func orderAndBound() {
        let running = Atomic<Int>(0)
        let peak = Atomic<Int>(0)
        let outcomes = ParallelMap.map(Array(0..<200), jobs: 3) { value -> Int in
            let now = running.wrappingAdd(1, ordering: .relaxed).newValue
            var seen = peak.load(ordering: .relaxed)
            while now > seen, !peak.compareExchange(expected: seen, desired: now, ordering: .relaxed).exchanged {
                seen = peak.load(ordering: .relaxed)
            }
            defer { running.wrappingSubtract(1, ordering: .relaxed) }
            return value * 2
        }
        #expect(outcomes.compactMap(\.value) == (0..<200).map { $0 * 2 })
        #expect(peak.load(ordering: .relaxed) <= 3)
    }

    @Test("failures stay in their slot; with stopAtFirstFailure nothing starts after a failure")
    func failures() throws {
        let all = ParallelMap.map(Array(0..<6), jobs: 2) { value -> Int in
            if value % 2 == 1 { throw Odd(value: value) }
            return value
        }
        #expect(all.map { $0.value } == [0, nil, 2, nil, 4, nil])
        if case .failure(let error) = all[3] { #expect(error as? Odd == Odd(value: 3)) } else { Issue.record("slot 3 is not its failure") }

        let started = Mutex<[Int]>([])
        let stopped = ParallelMap.map(Array(0..<6), jobs: 1, stopAtFirstFailure: true) { value -> Int in
            started.withLock { $0.append(value) }
            if value == 2 { throw Odd(value: value) }
            return value
        }
        #expect(started.withLock { $0 } == [0, 1, 2])
        #expect(stopped.map { $0.value } == [0, 1, nil, nil, nil, nil])
        if case .notStarted = stopped[3] {} else { Issue.record("slot 3 should not have started") }
        #expect(throws: Odd(value: 2)) {
            try ParallelMap.mapThrowing(Array(0..<6), jobs: 2) {
                if $0 == 2 { throw Odd(value: 2) }
                return $0
            }
        }
    }

    @Test("an empty input gives an empty result")
    func empty() {
        #expect(ParallelMap.map([Int](), jobs: 4) { $0 }.isEmpty)
    }

    @Test("blocking work runs off the calling task and returns its value or error")
    func blocking() async throws {
        #expect(try await BlockingWork.run { 41 + 1 } == 42)
        await #expect(throws: Odd(value: 1)) { try await BlockingWork.run { throw Odd(value: 1) } }
    }
}
