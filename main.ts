/**
 * daedalusd: the daemon half of daedalus-v4l2. It takes decode jobs from the kernel module's
 * control device and decodes them with libavcodec (docs/daemon.md).
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { getLogger } from "@logtape/logtape";
import { libav } from "./ffi/libav.ts";
import { AV_LOG_ERROR, AV_LOG_QUIET } from "./ffi/libavutil.ts";
import { LibraryLoadError } from "./ffi/library.ts";
import { setAvLogLevel } from "./src/decoder/av-log.ts";
import { decodeFile } from "./src/decoder/file-decoder.ts";
import { decodeStreamFile } from "./src/stream/file.ts";
import { CODECS } from "./src/codecs.ts";
import { formatStatus, readStatus } from "./src/cli/status.ts";
import { probeReport } from "./src/cli/probe.ts";
import { setupLogging } from "./src/log.ts";
import { DEFAULT_DEVICE } from "./src/service/control-device.ts";
import { isContextWorker } from "./src/service/context-worker.ts";
import { DaedalusService, type ServiceOptions } from "./src/service/service.ts";

const log = getLogger(["daedalusd"]);

function loadLibav() {
  try {
    return libav();
  } catch (e) {
    if (e instanceof LibraryLoadError) {
      log.fatal(e.message);
      Deno.exit(2);
    }
    throw e;
  }
}

/** --threads: DecoderOptions.threads (run: the decode threads and their budget), the CPUs by default. */
function threadsOption(what: string) {
  return new Option("--threads <n>", `${what}; the CPUs by default`).argParser((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      throw new InvalidArgumentError("a whole number from 1 to 256");
    }
    return n;
  }).default(navigator.hardwareConcurrency);
}

/**
 * DAEDALUSD_TEST_FREEZE=<codec>[:<jobs>]: a test hook (docs/daemon.md "Threads"), the first `jobs`
 * (1) jobs of `codec` block their decode thread inside a libc call for good.
 */
function testFreeze(): ServiceOptions["testFreeze"] {
  const value = Deno.env.get("DAEDALUSD_TEST_FREEZE");
  if (!value) return undefined;
  const [name, count = "1"] = value.split(":");
  const codec = CODECS.find((c) => c.name === name);
  const jobs = Number(count);
  if (!codec || !Number.isInteger(jobs) || jobs < 1) {
    log.fatal(`DAEDALUSD_TEST_FREEZE=${value}: <codec>[:<jobs>] expected`);
    Deno.exit(2);
  }
  log.warn(`test hook: the first ${jobs} ${codec.name} jobs freeze their decode threads`);
  return { codec: codec.name, jobs };
}

const program = new Command()
  .name("daedalusd")
  .description("Decodes video for the daedalus_v4l2 kernel module with libavcodec.")
  .version("0.1.0");

program.command("run", { isDefault: true })
  .description("serve decode jobs from the control device (the daemon)")
  .option("-d, --device <path>", "control device", DEFAULT_DEVICE)
  .option("-v, --verbose", "a log line per job")
  .option(
    "--hash-pictures",
    "with -v, each picture's FNV-1a hash in its line (for debugging: it costs a pass over the picture)",
  )
  .addOption(threadsOption("decode threads, and the threads they share inside pictures"))
  .addOption(
    new Option(
      "--decoder-memory <MiB>",
      "memory all contexts' decoders may hold (default: a quarter of RAM, at most half the unit's MemoryMax)",
    ).argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of MiB");
      return n;
    }),
  )
  .addOption(
    new Option("--summary-interval <seconds>", "seconds between summary lines (0: never)")
      .argParser((v) => Number.parseInt(v, 10)).default(60),
  )
  .action(async (opts) => {
    setupLogging(opts.verbose ? "debug" : "info");
    const av = loadLibav();
    setAvLogLevel(av, opts.verbose ? AV_LOG_ERROR : AV_LOG_QUIET);
    const service = new DaedalusService(av, {
      device: opts.device,
      summaryInterval: opts.summaryInterval,
      hashPictures: opts.hashPictures === true,
      threads: opts.threads,
      workerEntry: import.meta.url,
      testFreeze: testFreeze(),
      decoderMemory: opts.decoderMemory === undefined ? undefined : opts.decoderMemory * (1 << 20),
    });
    for (const sig of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(sig, () => {
        log.info(`${sig}: stopping`);
        service.stop();
      });
    }
    log.info(`daedalusd ${program.version()} starting (pid ${Deno.pid})`);
    Deno.exit(await service.run());
  });

program.command("status")
  .description("show whether the module is loaded, its ABI, the daemon connection, counters")
  .option("-d, --device <path>", "control device", DEFAULT_DEVICE)
  .option("--json", "machine-readable output")
  .action((opts) => {
    const s = readStatus(opts.device);
    console.log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
  });

program.command("probe")
  .description("show the libavcodec in use and the decoders it offers")
  .action(() => {
    setupLogging("info");
    console.log(probeReport(loadLibav()));
  });

const FILE_INPUTS = CODECS.map((c) => c.file.input).join(", ");

program.command("decode")
  .description(
    "decode a stream file through the daemon's core, as a V4L2 client would drive it " +
      `(${FILE_INPUTS})`,
  )
  .argument("<file>", `the stream: ${FILE_INPUTS}`)
  .addOption(
    new Option(
      "--codec <codec>",
      "its codec (default: the one its container names, else its contents')",
    )
      .choices(CODECS.map((c) => c.name)),
  )
  .option("--md5", "print one MD5 per frame (display order), as ffmpeg -f framemd5 does")
  .addOption(
    new Option("--pix-fmt <fmt>", "CAPTURE format of 8-bit pictures (10-bit ones go to P010)")
      .choices(["nv12", "yuv420p"] as const)
      .default("nv12" as const),
  )
  .addOption(
    new Option("--mode <mode>", "V4L2 decode mode, where the codec has one (H.264)")
      .choices(["frame", "slice"] as const)
      .default("frame" as const),
  )
  .addOption(
    new Option("--start-code <mode>", "V4L2 start-code mode, where the codec has one (H.264)")
      .choices(["annexb", "none"] as const)
      .default("annexb" as const),
  )
  .addOption(
    new Option("--stride-align <bytes>", "align CAPTURE bytesperline to this")
      .argParser((v) => Number.parseInt(v, 10)).default(1),
  )
  .addOption(
    threadsOption(
      "threads the decoder may use inside one picture (slices, tiles); with --stream, frame threads",
    ),
  )
  .option(
    "--stream",
    "as a stateful client would: bytes in chunks (IVF: a frame a buffer) through a stream session",
  )
  .addOption(
    new Option("--chunk <bytes>", "with --stream, a raw stream's chunk size")
      .argParser((v) => Number.parseInt(v, 10)).default(4096),
  )
  .option("-v, --verbose", "libavcodec's own error messages too")
  .action((file, opts) => {
    setupLogging("info");
    const av = loadLibav();
    setAvLogLevel(av, opts.verbose ? AV_LOG_ERROR : AV_LOG_QUIET);
    const common = {
      codec: CODECS.find((c) => c.name === opts.codec),
      pixFmt: opts.pixFmt,
      md5: opts.md5 === true,
      strideAlign: opts.strideAlign,
      threads: opts.threads,
    };
    /** `decode()`'s result, or the process ends saying why it failed. */
    const orExit = <T>(decode: () => T): T => {
      try {
        return decode();
      } catch (e) {
        log.error(`${file}: ${(e as Error).message}`);
        Deno.exit(1);
      }
    };
    const data = orExit(() => Deno.readFileSync(file));
    if (opts.stream) {
      const s = orExit(() => decodeStreamFile(av, data, { ...common, chunk: opts.chunk }));
      if (opts.md5) console.log(s.pictures.map((p) => p.md5).join("\n"));
      const flagged = s.pictures.flatMap((p, i) => p.error ? [i] : []);
      if (flagged.length > 0) log.error(`pictures flagged damaged: ${flagged.join(", ")}`);
      log.info(
        `${file}: ${s.codec.name} stream, ${s.buffers} buffers, ${s.pictures.length} pictures in ` +
          `${s.seconds.toFixed(3)} s: ${s.fps.toFixed(1)} fps (${opts.pixFmt})`,
      );
      if (flagged.length > 0 || s.pictures.length === 0) Deno.exit(1);
      return;
    }
    const r = orExit(() =>
      decodeFile(av, data, { ...common, mode: opts.mode, startCode: opts.startCode })
    );
    if (r.frames === 0) {
      log.error(`${file}: no pictures found (${r.codec.file.input} expected)`);
      Deno.exit(1);
    }
    if (opts.md5) console.log(r.md5s.join("\n"));
    for (const f of r.failed) log.error(`frame ${f.index}: ${f.message}`);
    log.info(
      `${file}: ${r.codec.name}, ${r.frames} frames in ${r.seconds.toFixed(3)} s: ` +
        `${
          r.fps.toFixed(1)
        } fps (${opts.mode}-based, start code ${opts.startCode}, ${opts.pixFmt})`,
    );
    if (r.failed.length > 0) Deno.exit(1);
  });

// A context thread runs this module too (ServiceOptions.workerEntry): context-worker.ts, imported
// through the service, has started its loop, and the command line is not the worker's.
if (!isContextWorker()) await program.parseAsync();
