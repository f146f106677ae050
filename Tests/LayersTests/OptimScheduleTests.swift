import Layers
import TestSupport
import XCTest

final class OptimScheduleTests: XCTestCase {
    /// Every learning rate LambdaLR gave torch for transformers' schedules, bit for bit.
    func testSchedulesMatchTransformersExactly() throws {
        let fixture = try OptimFixture.load()
        XCTAssertFalse(fixture.schedules.isEmpty)
        for c in fixture.schedules {
            let schedule: LearningRateSchedule
            switch c.kind {
            case "constant": schedule = .constant(peak: c.peak)
            case "constant_with_warmup": schedule = .constantWithWarmup(peak: c.peak, warmupSteps: c.warmup)
            case "linear": schedule = .linear(peak: c.peak, warmupSteps: c.warmup, totalSteps: c.total)
            case "cosine": schedule = .cosine(peak: c.peak, warmupSteps: c.warmup, totalSteps: c.total, cycles: c.cycles)
            default: return XCTFail("unknown schedule \(c.kind)")
            }
            XCTAssertEqual(schedule.peak, c.peak)
            for (step, expected) in c.lrs.enumerated() {
                XCTAssertEqual(schedule.lr(at: step), expected, "\(c.kind) warmup \(c.warmup) total \(c.total) step \(step)")
            }
        }
    }

    func testLinearScheduleShape() {
        let s = LearningRateSchedule.linear(peak: 1, warmupSteps: 4, totalSteps: 12)
        XCTAssertEqual((0...13).map { s.multiplier(at: $0) },
                       [0, 0.25, 0.5, 0.75, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0, 0])
        XCTAssertEqual(LearningRateSchedule.cosine(peak: 2, warmupSteps: 0, totalSteps: 4).lr(at: 2), 1, accuracy: 1e-15)
    }
}
