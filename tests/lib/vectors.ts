/**
 * The official conformance vectors the tests decode (../shared/vectors, see its README): each
 * file pinned by the SHA-256 of its bytes, so a changed file fails its test instead of moving
 * the reference with it.
 */
import { createHash } from "node:crypto";
import { av1Ivf, type AvifPayload, avifPayload } from "./avif.ts";
import { CACHE_DIR, cached } from "./streams.ts";

/** Every vector in the full tier (DAEDALUS_FULL=1), a spread of them in the default one. */
export { FULL } from "./harness.ts";

/**
 * The vectors' directory: DAEDALUS_VECTORS, or shared/vectors beside the repository (../shared),
 * or beside a folder above it (a git worktree's checkout).
 */
export const VECTORS_DIR = Deno.env.get("DAEDALUS_VECTORS") ?? besideRepository("shared/vectors");

function besideRepository(path: string): string {
  // the repository's parent folder, then the folders above it
  for (let dir = new URL("../../../", import.meta.url);; dir = new URL("../", dir)) {
    const found = new URL(path, dir);
    try {
      if (Deno.statSync(found).isDirectory) return found.pathname;
    } catch {
      // not here: further up
    }
    if (dir.pathname === "/") return new URL(`../../../${path}`, import.meta.url).pathname;
  }
}

/**
 * The bytes of the vector at `rel` (under VECTORS_DIR); throws unless they are the ones SUMS
 * pins.
 */
export async function readPinned(rel: string): Promise<Uint8Array> {
  const sha256 = SUMS.get(rel);
  if (!sha256) throw new Error(`${rel} is not a pinned vector`);
  const data = await Deno.readFile(`${VECTORS_DIR}/${rel}`);
  const actual = createHash("sha256").update(data).digest("hex");
  if (actual !== sha256) throw new Error(`${rel}: SHA-256 ${actual}, pinned ${sha256}`);
  return data;
}

/**
 * A file of the test cache named by a vector's checksum, made by `make` unless it exists: the
 * vector itself (a link) or what a client makes of it, with its references cached beside it.
 */
export function vectorCacheFile(
  rel: string,
  suffix = "",
  make: (tmp: string) => Promise<void> = (tmp) => Deno.symlink(`${VECTORS_DIR}/${rel}`, tmp),
): Promise<string> {
  const name = rel.replaceAll("/", "_");
  return cached(`${CACHE_DIR}/vector-${SUMS.get(rel)!.slice(0, 16)}-${name}${suffix}`, make);
}

/**
 * An AVIF vector's AV1 payload (helpers/avif.ts) and the IVF file a client gets of it, in the test
 * cache (with its references).
 */
export async function avifVector(
  rel: string,
): Promise<{ payload: AvifPayload; ivf: Uint8Array; file: string }> {
  const payload = avifPayload(await readPinned(rel));
  const ivf = av1Ivf(payload.temporalUnits, payload.width, payload.height);
  return {
    payload,
    ivf,
    file: await vectorCacheFile(rel, ".ivf", (tmp) => Deno.writeFile(tmp, ivf)),
  };
}

/**
 * The default tier's spread (the full tier decodes every vector): VP8 sizes, odd sizes,
 * partitions, segmentation, intra, resizing; H.264 features by conformance stream; AVIF depths,
 * odd sizes, monochrome, layers, grids, and refusals.
 */
export const SPREAD: ReadonlySet<string> = new Set([
  "vp8/vp80-00-comprehensive-006.ivf", // 175x143
  "vp8/vp80-00-comprehensive-008.ivf", // 1432x888
  "vp8/vp80-00-comprehensive-010.ivf",
  "vp8/vp80-01-intra-1411.ivf",
  "vp8/vp80-03-segmentation-04.ivf", // 1280x720
  "vp8/vp80-03-segmentation-1425.ivf",
  "vp8/vp80-04-partitions-1406.ivf", // eight partitions
  "vp8/vp80-05-sharpness-1443.ivf", // 1920x96
  "h264-jvt/avcv1/BA1_Sony_D.jsv",
  "h264-jvt/avcv1/CVFC1_Sony_C.jsv", // frame cropping
  "h264-jvt/avcv1/CVPCMNL1_SVA_C.264", // PCM macroblocks
  "h264-jvt/avcv1/MR2_TANDBERG_E.264", // multiple reference frames, baseline (not constrained)
  "h264-jvt/avcv1/NRF_MW_E.264", // non-reference frames
  "h264-jvt/avcv1/SVA_FM1_E.264",
  "h264-jvt/frext/FRExt1_Panasonic.avc", // 8x8 transform
  "h264-jvt/frext/FRExt_MMCO4_Sony_B.264", // memory management
  "h264-jvt/frext/HCAMFF1_HHI.264", // MBAFF and field pictures
  "h264-jvt/frext/HPCAFL_BRCM_C.264", // field pictures, CABAC
  "h264-jvt/frext/test8b43.264", // 960x544
  "h264-jvt/frext/PPH10I1_Panasonic_A.264", // refused: 10-bit
  "av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.odd-width.odd-height.avif",
  "av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.odd-width.avif",
  "av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.monochrome.odd-height.avif",
  "av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.monochrome.avif",
  "av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_a1lx.avif", // two spatial layers
  "av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_grid_lsel.avif", // a grid of 4 tiles
  "av1-avif/testFiles/Link-U/fox.profile1.8bpc.yuv444.avif", // refused
  "av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.odd-width.avif", // refused
  "av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.avif", // refused
]);

/** H.264 streams the device does not decode, and why (the rest must be bit-exact). */
export const H264_REFUSED: Record<string, { why: string; depth: number }> = Object.fromEntries(
  [1, 2, 3, 4, 5, 6, 7].map((n) => [
    `h264-jvt/frext/PPH10I${n}_Panasonic_A.264`,
    { why: "High 10 Intra: 10-bit, the device's H.264 is 8-bit", depth: 10 },
  ]),
);

/**
 * What an AVIF vector is, by its name (fox.profileP.Nbpc.yuvCCC[.monochrome]...; Apple's are
 * 8-bit 4:2:0), and what the daemon must do with it: the CAPTURE formats hold 8- and 10-bit
 * 4:2:0 (monochrome with neutral chroma), nothing else.
 */
export function avifKind(path: string): { depth: number; chroma: string; refused?: string } {
  const m = /\.(\d+)bpc\.yuv(\d{3})(\.monochrome)?/.exec(path);
  const depth = m ? Number(m[1]) : 8;
  const chroma = m?.[3] ? "monochrome" : `4:${m?.[2][1] ?? 2}:${m?.[2][2] ?? 0}`;
  const refused = depth === 12
    ? "12-bit"
    : chroma === "4:4:4" || chroma === "4:2:2"
    ? chroma
    : undefined;
  return { depth, chroma, refused };
}

/**
 * Every vector's SHA-256, as `sha256sum` prints them from VECTORS_DIR (`sha256sum -c` checks
 * them there): the 61 VP8 vectors with libvpx's per-frame .md5 files; the JVT H.264 sets, AVC v1
 * (baseline) and FRExt (high profiles); AOM's AVIF test files.
 */
const SUMS_TEXT = `
e01278ada71e61d4b6f7b7d6ec1ebf8317d12501400b0ceff639e02d3ce7ccb5  vp8/vp80-00-comprehensive-001.ivf
3507e013e1f5b0a2473cb226ef3c9993c583ace34052b356cc1a285e1adf2715  vp8/vp80-00-comprehensive-001.ivf.md5
348b9d4dc50d888997c96001cc936ec15e15e31eddeec6c72d1659671ac24de4  vp8/vp80-00-comprehensive-002.ivf
1cf400a41deafae52e4d0b61face13b4ef52ba54e4ced001679c7873c11a83aa  vp8/vp80-00-comprehensive-002.ivf.md5
d5123023dfa81c94b5c9cda86a183f0dd11e70c09344642ef0e8b7b06df5c80c  vp8/vp80-00-comprehensive-003.ivf
721dd7e64e2981374f01acfcd3afbc84a2f903e6fb2abe8fb4ca69abba81ed93  vp8/vp80-00-comprehensive-003.ivf.md5
0550a581cf2c85e0bf82cdbed7c40ab1db9a7edd8e93ba79b7ec7685c3b94e73  vp8/vp80-00-comprehensive-004.ivf
db86fc248ca442c4a9992f7488d29cedd68611c94a32ee4038b07d7225514841  vp8/vp80-00-comprehensive-004.ivf.md5
698f865dfdd150cbd0c8010e0c483f84ddcf1bd4450c8233ac31c4c7518bbc83  vp8/vp80-00-comprehensive-005.ivf
a971e8ce90105d3081f95732713a8e1a71e5cf3c5935c79a7744ac94a580568b  vp8/vp80-00-comprehensive-005.ivf.md5
46a74dbaa7ad895c11ed7699b1de1a050e55333a3a14d4eebed71f0e99fd6d76  vp8/vp80-00-comprehensive-006.ivf
da95dd6a2bdbe5d407d71a3d1b946331687ce65511cdf11ec53a30e348686ee9  vp8/vp80-00-comprehensive-006.ivf.md5
7c8191908d724f446ddd3d415e4a487fa7c11eb94f69190bf2cab938c8b52ece  vp8/vp80-00-comprehensive-007.ivf
0dc1043d839e6b471c845e04eb5d368ad07d5a344177068dac0235f8b39b5d03  vp8/vp80-00-comprehensive-007.ivf.md5
553fb67d473c8b21c06d144fae05e647190dafa8fb54a790c9cf085bee74bac0  vp8/vp80-00-comprehensive-008.ivf
d61f460064d34f3a82a065fcd07f0632eb774b9375695481319b18a11d1ed3f9  vp8/vp80-00-comprehensive-008.ivf.md5
52d7e373bbecefdfb8e80522e628ea15c3ac3c1dfe18822baa8ed2ac1394589b  vp8/vp80-00-comprehensive-009.ivf
80154a235e4470076930e515f761dacc71fb364d33de00b3c3b3985f3b7f4a03  vp8/vp80-00-comprehensive-009.ivf.md5
df220c09c1553c39b6e6c6eb42d220427065e57cc54ebcd33254f05725f8fc6f  vp8/vp80-00-comprehensive-010.ivf
bdcf2732cba47f502fb7eb8f38f4310fd2fd398d6bbf7c58fb5cd00adabb043e  vp8/vp80-00-comprehensive-010.ivf.md5
8826d37f4fb2332f8c694382ebb1a53c209b903feebead08af5cdcfe1703db53  vp8/vp80-00-comprehensive-011.ivf
fa1612bb005ba21e67c77f5e9b7841f74708df9b7eeb56c21e5d316ab4d9da19  vp8/vp80-00-comprehensive-011.ivf.md5
504d6d942bb665a48750c0bcda4e7b148723422807adb58411845833c1299f81  vp8/vp80-00-comprehensive-012.ivf
d48804fa463bd4954cfd907e71fd13d772ab20c8d364bcc27b67c1914d7a4185  vp8/vp80-00-comprehensive-012.ivf.md5
d721d4b2c91f48a200220f02fd356fcf9777099988fc8c703d8924d2039901f2  vp8/vp80-00-comprehensive-013.ivf
22d8cf5fd3587ee2a9f7e1215ee508cb68b5ca3bb2272707eb38c1cfa4e9ae80  vp8/vp80-00-comprehensive-013.ivf.md5
f2848f9f098c12f1179edb477b16a87fe1b4dbda1df253997300fdc0b0effd9a  vp8/vp80-00-comprehensive-014.ivf
299701200a00cf8247d73733ba181dbd7c0a3fb3e64b8c86ad7aca6d7a4267a4  vp8/vp80-00-comprehensive-014.ivf.md5
bed192ee30432b30f43cf0f8cc9931f42f596413f801d8d91cac22d2e8d8bd0c  vp8/vp80-00-comprehensive-015.ivf
019af021b961d30398dd8b327e6bd471601988cf8df87a87aa7d1a0bdafe7d21  vp8/vp80-00-comprehensive-015.ivf.md5
f1864da217b83dda5d31cf6bce15b0e1ec58138825f461c0d5aa2b66b2c53320  vp8/vp80-00-comprehensive-016.ivf
8e9cef6a30e477fac4e5a4c4e9dbfa9be1d98edaade5e3918a4e566f766f78ce  vp8/vp80-00-comprehensive-016.ivf.md5
1377f7be0851664f227d362b4aa09a05aff7320eda09cac75b4f1e8f573c1b53  vp8/vp80-00-comprehensive-017.ivf
1d4c07ea408f2949f923ee3a23ef1b8c8323cf4d47db9a0b87ee578a153e4ada  vp8/vp80-00-comprehensive-017.ivf.md5
58fc48a7c96113357adb0cdf383e1afed1758c38911e90e56a4e89649b951da4  vp8/vp80-00-comprehensive-018.ivf
537a0a55851de0f9d6f65a7eb8b5b4dd1edd88d876cfb2b6c59c51d0fbdf5587  vp8/vp80-00-comprehensive-018.ivf.md5
533683bd232140d60e719777c54324f8c2b65d5e899c29c9875bddec88e28cb5  vp8/vp80-01-intra-1400.ivf
d0713b0bb80807d3aed8dd11f3eb204914a6fa0f217ce6926d9e9a06c3df1093  vp8/vp80-01-intra-1400.ivf.md5
44ff0579f069adbdaf92f94eaa207ab681287457269a99412f7e7953b4ee5a5a  vp8/vp80-01-intra-1411.ivf
cdc5c01fc9d6c9f12b6269cb4e77c3a6e78df1b7edb0a03d17905a41e6b94e2b  vp8/vp80-01-intra-1411.ivf.md5
ecb744fe8a0b285edf2b0ce001f2f89c6eddfe2d709bab1ab045e3a26991437c  vp8/vp80-01-intra-1416.ivf
9f462ee28ba0a3b6747ba0e842d418a056f5cf4c4400dd89640a2535932b7d41  vp8/vp80-01-intra-1416.ivf.md5
cb9d137fb345031eff646cf5204548753a4488f147e073174c4ee38f51b13632  vp8/vp80-01-intra-1417.ivf
40172e7973f3809d44c0c35b511b7efd88e8380919edf734e9e18216e728bd73  vp8/vp80-01-intra-1417.ivf.md5
55f95426c891b946bd7b94291916a9fafe999351c92cd079dd58847a5bdd5197  vp8/vp80-02-inter-1402.ivf
06fe807c7b83353f0b565c8f486aeb1bf99905d1d57e422330532d53dd28fec1  vp8/vp80-02-inter-1402.ivf.md5
6f0f32a37d57d9bd0346f236e2e9fae58c9cfaa2835e034bb0f0076b79bab8e9  vp8/vp80-02-inter-1412.ivf
68faaef06eead92a605ea563336b099b78069a86196241c282ff8e20285ddd11  vp8/vp80-02-inter-1412.ivf.md5
19441aa8133a477f8e53f44aebb892a79bcb8231e1b61d66879c31ebc0595415  vp8/vp80-02-inter-1418.ivf
34acf8ea18f7088246b43dcac3cc854c3d3f24e2545c6d7dd3e5341bf9356cc0  vp8/vp80-02-inter-1418.ivf.md5
b8f3551c696e363e077fdc645725dd2c735a187153472aa2e061445e6a0ba3af  vp8/vp80-02-inter-1424.ivf
574409e0cf3cfa1cd5eabfb1176dcb6958960792e6e6308134b40d3260c0ed1e  vp8/vp80-02-inter-1424.ivf.md5
4e904b1cbf369765673aacc807ee80a85acaf84e51430c40cff216138051a2d3  vp8/vp80-03-segmentation-01.ivf
7f6fb86b671cf3e99559025caa1fc62cb6ee6cade833a3a6be013694901dd822  vp8/vp80-03-segmentation-01.ivf.md5
6fa93cb28d510f1bbc1244017d2268c97ad80d573dc2ffc52b1355ce778d877f  vp8/vp80-03-segmentation-02.ivf
da8fe25b8cd19737db3d48d78358d6009fca819a5580e63ee383a21233497da3  vp8/vp80-03-segmentation-02.ivf.md5
1c83663c75737a69cab23924a8f8693d936b045aeef5e725c4c883cb12b9661b  vp8/vp80-03-segmentation-03.ivf
c1a92fafea6f7e6f3778d862ddaa887ef9128e5408d539da4b635721342980dc  vp8/vp80-03-segmentation-03.ivf.md5
8935b131ab484c1c3541e73321950acb1eb88da11924c7fcc08a124b84b3eafa  vp8/vp80-03-segmentation-04.ivf
d92c6f357156a3050b8bb42257c4d9c7e0e38a53469cf98439e03ac91a9b6917  vp8/vp80-03-segmentation-04.ivf.md5
5d519ef3936771d6058c6f888f6e3dd5951af8d6f8571653a6f321a2aa878ac7  vp8/vp80-03-segmentation-1401.ivf
30a652d2f40e7a386b417efd40f0547e07ba5108a9120a5ef0416b71b65b3b2c  vp8/vp80-03-segmentation-1401.ivf.md5
ac4edc01bcb4deda3ca4ca775390d9bd06a596e855d775077c7ec17e8e1c6ef3  vp8/vp80-03-segmentation-1403.ivf
72b1fb9dcfa2788258e3d8d2ec0b912345474ba15aece679f11488aa6d8e5d34  vp8/vp80-03-segmentation-1403.ivf.md5
5eb4efac75c82895bb9b0aa68af5c375408ae4a39ab67a1d5e7dbda2bc647d70  vp8/vp80-03-segmentation-1407.ivf
54aa842e4716989cd7a724e672e6a21af36f1de1ad54b4d3910411e89d0c92b6  vp8/vp80-03-segmentation-1407.ivf.md5
55483ff706cadf26aae77033bf830e0cdb383392cbb5ab04f4b03ccfff59e878  vp8/vp80-03-segmentation-1408.ivf
c15ba47c5e6d2a9251c8ab1346d988fe77423bc918cb4fe45aafb172954d6355  vp8/vp80-03-segmentation-1408.ivf.md5
b01c6043b0b49d9532846e229e74434a806de61b0a88a2271fa497a2716e8aff  vp8/vp80-03-segmentation-1409.ivf
0932caf627f84cd227a7ed80e0a13999c7559f61269756cb2d109e400b4c3b82  vp8/vp80-03-segmentation-1409.ivf.md5
d1648e7c9fac26f8b98302d429908bda746d5958d25da40c8a169462c4cc1aad  vp8/vp80-03-segmentation-1410.ivf
5d3ab08e1a582eceadb9dafbb97fadb4abc5064997d46ab61e3807935c9ce66a  vp8/vp80-03-segmentation-1410.ivf.md5
80e6e9213dfc7369603ecbb3b4fc3ed814eb61d05e74623271bd46373a2e1e3b  vp8/vp80-03-segmentation-1413.ivf
852111313eb0828908ba3e8ff38e9d751fd4977c11d9eb76fcf7e871b7534f31  vp8/vp80-03-segmentation-1413.ivf.md5
e21d2e995c9e8b87fccd41d0a22c480937ca9cf437bf385fb6b003c12f049a18  vp8/vp80-03-segmentation-1414.ivf
f58a5a696b42cb8ebabff07c21627f788e9b105e3c08cbcac101c6410c535b42  vp8/vp80-03-segmentation-1414.ivf.md5
a833963450112756511ed8ef7fa056917b0545a13bd9b5751bf72938ff6e1d23  vp8/vp80-03-segmentation-1415.ivf
4a501361a368d05d537349f1151f90eb43d326d8201215f2bdad8929558cda0f  vp8/vp80-03-segmentation-1415.ivf.md5
a88e40dc3fd2f6130272a208fb8db0ef59679ce8851786b065a35c3c09ec260c  vp8/vp80-03-segmentation-1425.ivf
6aded52ff6a39a0278bafd705d685677bc8df4415bcda8cdc133f9097d358b2f  vp8/vp80-03-segmentation-1425.ivf.md5
4c019e8560ef064804a49e91e73e37702a79307de8e7fe510f3f552880b455fa  vp8/vp80-03-segmentation-1426.ivf
fe1fcee8732eadf33a4408cc008c676029d797a3b06bb5c04bce200d6dba1c3a  vp8/vp80-03-segmentation-1426.ivf.md5
efc996df013864d83452b9a2fc832e556aaca7ea7afad06d8389442916d57f46  vp8/vp80-03-segmentation-1427.ivf
59fea0cf74e08a5c658ccf5e21431689258386cdf1aa5bd0c5fe3c09a963e9d6  vp8/vp80-03-segmentation-1427.ivf.md5
dd5e73fc048fd67d438461d195112ff760119abfb0b70aafc5961422405af910  vp8/vp80-03-segmentation-1432.ivf
87a2d003e840ee872b30008beeac80b9836f590a58c9faea4bab603a103175f4  vp8/vp80-03-segmentation-1432.ivf.md5
4ab5c1d2c6866622f726280d8970b4cae22faa9c13a8ca1190c59269c0e65d35  vp8/vp80-03-segmentation-1435.ivf
a0066315be840586be609e0d012e0bada32011d5decd34961fc0e44ff4f6c814  vp8/vp80-03-segmentation-1435.ivf.md5
453cfa338afe392b5b0ffcc51e6646b9c7abeb53f161766aff5d82fb14d12718  vp8/vp80-03-segmentation-1436.ivf
d8b3ec4052083159e62aca073cf93c3cb0114c73b541f71e1e7000e79cbcdb71  vp8/vp80-03-segmentation-1436.ivf.md5
d4ed4169ee22ca9cf1fb91eda3be3810ae86f87d741714f08b9bfb6cb31414cd  vp8/vp80-03-segmentation-1437.ivf
879d74d35a6ecf1296b1a27fcddb5b9854c5fe1e9b69b26b5ca341e52bc80895  vp8/vp80-03-segmentation-1437.ivf.md5
225a89925a483a92a555d2c99eb95477b674e8b85d4756bcf492eda870e56500  vp8/vp80-03-segmentation-1441.ivf
beec1cea249a92fdf3dce568786d7ab3bcd6017660f9a52404e993bf12b58238  vp8/vp80-03-segmentation-1441.ivf.md5
90f93d55bb70f136b21bbac5228d231b659f54208ea11e353379ae1a9606e357  vp8/vp80-03-segmentation-1442.ivf
1ef598b05d78fbbc325ca4a2d165b779286a9c2441a7a9b3dddb53aedddd99b4  vp8/vp80-03-segmentation-1442.ivf.md5
bb802ab68ed2e3301e5e2f7e8c263a1d7f364cab84edf3f973df63b2cd98c29f  vp8/vp80-04-partitions-1404.ivf
849573351824e02b74ae797793bb417530fd47d6537cec64cbdad379c0f9c546  vp8/vp80-04-partitions-1404.ivf.md5
79221a248f30995b954271293760c3e8b728bd98a8f1737c43d851467197de99  vp8/vp80-04-partitions-1405.ivf
4b504562049526d567bba6a974c9a690f05a98ffd2f845911093cc4a0bdb23c4  vp8/vp80-04-partitions-1405.ivf.md5
ec39a6f40e2527b8e6440d78908d8f42cc79908f325741e696cd4d4d6c5acb73  vp8/vp80-04-partitions-1406.ivf
8f31980cf94b12ede0f92ec07c6c6e27e89b9e7e7b1667f54bc5991f27f0a4f8  vp8/vp80-04-partitions-1406.ivf.md5
be11270301ff4ccfcf86c48939606b6c726352860d7dd799b1cca15a97c8e724  vp8/vp80-05-sharpness-1428.ivf
ad4d1cd26f12f425f3f4729e5289e6e2cb4b448b47d4f6def2e41b1fdecb3c3f  vp8/vp80-05-sharpness-1428.ivf.md5
7fa9a4d9387c65b67526b1a383435ecc25b12d4226de612a8720d5f1083ed369  vp8/vp80-05-sharpness-1429.ivf
228d0c30ec6a6bcaac83b8dcb5440fcdebf720a3354710c9168ebe939388864a  vp8/vp80-05-sharpness-1429.ivf.md5
fcc0f2d5fa45fe048f13a526da1ce24bb1f6cb2a68c8ba086629339200c4af11  vp8/vp80-05-sharpness-1430.ivf
299413f22d76b04806e0545986ebfb0c809398528dfa85cd6678ef541648eef0  vp8/vp80-05-sharpness-1430.ivf.md5
e322655763cf27a88c4c3eacbc78be59d3b01d035bc09c5699b92d9cec3538bd  vp8/vp80-05-sharpness-1431.ivf
b65fce6729f80f7cd96443ae055bb4558db5ba335665fd59dafa8f4e5e0f0b8f  vp8/vp80-05-sharpness-1431.ivf.md5
152e6290ef855fc40ae0d1a6bede45d6d92157a9e29ddf129b0e0dfce0cb9172  vp8/vp80-05-sharpness-1433.ivf
98ae32853e7286e7ab7eb6c7ea0b79f55f4b3eea27ff243703f5a444ff2fcc77  vp8/vp80-05-sharpness-1433.ivf.md5
56426a22fc7a7d99f080aa108c98845845792eeeab71b747aaa961d50c109904  vp8/vp80-05-sharpness-1434.ivf
2d93bf724be6df2ef15fa802aa1e72ef5196c24e31e4c7a8a5541653ce4d4e65  vp8/vp80-05-sharpness-1434.ivf.md5
db49abcff1ecb2a7792e5671791e4550917255377c7357cd2e39a74ea791b88f  vp8/vp80-05-sharpness-1438.ivf
6d9e4d841e8851f99c0b3e63198fa0a756bf06bbcd3bf327b2b2e7b2418fb89c  vp8/vp80-05-sharpness-1438.ivf.md5
a8562cacb08cdb60a7f025962186291dad8a0bb8a783b42d7dc410935eb01920  vp8/vp80-05-sharpness-1439.ivf
d4bbccd7b91a775fea59243a00da7bd59c5f59ff6660e8313cdc0c77246b703f  vp8/vp80-05-sharpness-1439.ivf.md5
d16d27025b3748c432f91113844f9cd3b0406cdeb7e53e7fc1d0ffed48d000fc  vp8/vp80-05-sharpness-1440.ivf
fe56d6c681c8fea7ab64bf007637e5fea9679b29e141ae21d2555d5cb2d2a76e  vp8/vp80-05-sharpness-1440.ivf.md5
fada80ca014bb1bb218442f8484e77a37111a5c46dbe75aff38a11c3310a8d3b  vp8/vp80-05-sharpness-1443.ivf
ba3a41ef323e3d0b1e9d8dc2b19d9bd9bf01d6c7b7a7092ff4ba13941a9a3272  vp8/vp80-05-sharpness-1443.ivf.md5
1bd3abeea6a5612602556a455cd2c59f235cba23e09a1a5556641296324c0bb7  h264-jvt/avcv1/BA1_FT_C.264
90c84dee7e57151b80918e4b81910d33885fba2ce131fa119e1753c1892086fc  h264-jvt/avcv1/BA1_Sony_D.jsv
3cb7ccaf39846b1e6a5de48580461427f7e96ad563918d4f9c85c8133da5d1f9  h264-jvt/avcv1/BAMQ1_JVC_C.264
7f251c556b17b26c1117ab30effb40867552ec3ace16a2c6262ae486d699b4e4  h264-jvt/avcv1/BAMQ2_JVC_C.264
5f370f414beadadc7bb8a5c4c7a410924fda0ae2e7c31037932b961418279231  h264-jvt/avcv1/BANM_MW_D.264
14cf421b985e0e5f62ac01129ea56c343a9804a13d4bd16122916a3315e6b71c  h264-jvt/avcv1/BASQP1_Sony_C.jsv
47c59fbe8de6edad04457b8b412579d10cf6ecf87393f252cb2493f9c20dca32  h264-jvt/avcv1/BA_MW_D.264
900f033372ebd2f7b621a708eea82494b5a635140e5563a989ed9b824282fea6  h264-jvt/avcv1/CI1_FT_B.264
d773df1155183b9bcd01292c7f4dc4348732071b240f4fcc1bc871a0d41ff15b  h264-jvt/avcv1/CI_MW_D.264
c8a1bc3e646d31cab9abaac3474769cf0fe134767ca53f9f88d9a3c272bb2ab3  h264-jvt/avcv1/CVFC1_Sony_C.jsv
6d8dee9086d4cedaa255c0c40fa61165fc9dd56d2bbec16b0bfed6f1f1d33f0c  h264-jvt/avcv1/CVPCMNL1_SVA_C.264
f11195ecadf83dde3a6774fc072c2f1f07528b5f23f1ae0f61569f661962ae79  h264-jvt/avcv1/LS_SVA_D.264
b39ba07a9734328a61d23ebc798ce32a17d6a88290d92501e94e5da731ba2a49  h264-jvt/avcv1/MIDR_MW_D.264
f35413b51c427cc549779961209ca75c56e5e23614f88d27a10e7d66c3db6056  h264-jvt/avcv1/MPS_MW_A.264
20dc67331c81adcf40048bb37357883a69b3ab002b0927e599f43d86be9c3d8b  h264-jvt/avcv1/MR1_BT_A.h264
d441f223c9dff05da43645cd5539eec21e8aef2684160040b61faf799f7f3b1f  h264-jvt/avcv1/MR1_MW_A.264
90b75468443485a893702b1349ce116a2e75e20f92df7d5bf8aca63b7ad2533c  h264-jvt/avcv1/MR2_MW_A.264
24d95632d3adff1808f391402d2bae4f111dd051c1187b915701c2201f995254  h264-jvt/avcv1/MR2_TANDBERG_E.264
125f334b98af2609b481d9c2d34a2b855d0ced981145c8021618c5f10cb864e5  h264-jvt/avcv1/NL1_Sony_D.jsv
5e84ad3a0dc3f5b7578a38d3b1c6cc70e051b7eeba183104a690f8d0700557e5  h264-jvt/avcv1/NLMQ1_JVC_C.264
9ef3595fbf4604d8d2189fe75d76c619b2d4c0f313d3cdbe05422068476906ee  h264-jvt/avcv1/NLMQ2_JVC_C.264
02e5b0f3e018a998adcd4cfbeed184298a1c8e0cf27ef4f16bcf780b23a03c00  h264-jvt/avcv1/NRF_MW_E.264
67c74b563820b3da6bda325dd2b37a957e9573429715464debe9b0d98d35636f  h264-jvt/avcv1/SVA_BA1_B.264
b7212b4610f8e64f7c894bbd70e48786061decaadbab623209c93ff061899a67  h264-jvt/avcv1/SVA_BA2_D.264
e33d00e0e9358b118f152250b848e26f8d995a7bb06748e9f21f2f3cdd5c33e2  h264-jvt/avcv1/SVA_Base_B.264
81fc3e69b2ed52204d77473175593fa2fa0128a0c8736dc91a3bfd8d80b3b43d  h264-jvt/avcv1/SVA_CL1_E.264
a997221bc0f056175ecc71d4d3e612ded7d460f8b5d8ff4f0b7648924f4e87f8  h264-jvt/avcv1/SVA_FM1_E.264
8ff7ef385325e54e5f383eb652d82436b3c5dbac6d76a39c8ce1bb6793e24d46  h264-jvt/avcv1/SVA_NL1_B.264
006daffa233010b1abc20f8368ff773ae96f1860cedc66e0a07e125a401f2cba  h264-jvt/avcv1/SVA_NL2_E.264
4a2fc1dea3c99ff7f37c55442f193d2beb4a042d5d9dcbbe79f0b95b409c0093  h264-jvt/frext/FREXT01_JVC_D.264
29328da062fda0c3d5dddb9343a7aa17a6372a28dcc7101588adf23684c553f1  h264-jvt/frext/FREXT02_JVC_C.264
13a40fa31692f5c2a96a7dfcd5786df1a1c41e3234268a017e9d53364e21c5fc  h264-jvt/frext/FRExt1_Panasonic.avc
ba31155d719727ff4f2cfe16881ba30a298782f012d1d4c45765344354fae3be  h264-jvt/frext/FRExt2_Panasonic.avc
53a3aeb2d43c50ea07a83d6f0afb221bfab34d445f17181801b34774b7f0ed34  h264-jvt/frext/FRExt3_Panasonic.avc
80c13db18b18122cd4cb772ab460933a9858a7c32dd887f55df52ac3a9323acb  h264-jvt/frext/FRExt4_Panasonic.avc
0704a0b6a784eac78b1eca3636439e23704d4d87a9faa3e655c19ad28331edf0  h264-jvt/frext/FRExt_MMCO4_Sony_B.264
57c4be9b9d00d6f370441373b42aa829a8575028e925972e2e66f57514db74d9  h264-jvt/frext/Freh12_B.264
64fe5b208fa46d9cab5e8138c6ad48c4ae4ac75ac1d6b943b485e8dde447e426  h264-jvt/frext/Freh1_B.264
6ea81f1bed5731ccf3d357d925405f968b53bd19854a9371e67c7a001c3c4dc3  h264-jvt/frext/Freh2_B.264
75495d41eba792d752e54dbf2273a1adeac71ef6fc70d1d6f3332a3b47ffca46  h264-jvt/frext/Freh7_B.264
752efafeb176bbf622565e5b3853c82e35bb50143e7175239802576b18e9f22c  h264-jvt/frext/HCAFF1_HHI.264
bc6b6fe1d3860c88eb6564125c20c3cd272240bf6a22b4fb93876c64cb1b6e83  h264-jvt/frext/HCAFR1_HHI.264
7e8717fcd5be62f3853a3daae2157193c8ccadcb79a79d962ff63bc92c7ce57d  h264-jvt/frext/HCAFR2_HHI.264
7e1cde6697bb8903d6e74ed0bbcd0924bac7bd84aa34a80afc6d64be8301d86d  h264-jvt/frext/HCAFR3_HHI.264
db1c1f97ef74e6c0cc254a8147daabb4c01cbfba6d8f579144597eabeba8e4f8  h264-jvt/frext/HCAFR4_HHI.264
329608bd31d8f56a8250e69b17d2add59faeff86815d135761e227d491d774fc  h264-jvt/frext/HCAMFF1_HHI.264
cc1c948ae04c383eec03a2f47fb27c163ecb21e0e265e3fa36f94d9c1b0b6fc9  h264-jvt/frext/HPCADQ_BRCM_B.264
acdac1869bdca2a05da12e57a61fe5cfa165e753d42b6980e2b923930731fbbc  h264-jvt/frext/HPCAFLNL_BRCM_C.264
37f7560b75430159c3c44f5bd4f2697708c03739f88159309247d177f2403121  h264-jvt/frext/HPCAFL_BRCM_C.264
cc1c948ae04c383eec03a2f47fb27c163ecb21e0e265e3fa36f94d9c1b0b6fc9  h264-jvt/frext/HPCALQ_BRCM_B.264
173b7e5d6fd6123f033512d0a9e3faf648740b375e3549f80c938018a9e77da0  h264-jvt/frext/HPCAMAPALQ_BRCM_B.264
4dc94a4e602cfdf9107924ab1a6101f52b23ec0acaf522231f6ca11b3a2bfb6a  h264-jvt/frext/HPCAMOLQ_BRCM_B.264
fd920ee62b103c422b81dbcbf244e8dfc37fa9d24c0fe129bd5253635bf75246  h264-jvt/frext/HPCANL_BRCM_C.264
5c6879de17a2eb8922cdf0f1727a84eb6c77516e3f5c1c3f5060756f4c166af6  h264-jvt/frext/HPCAQ2LQ_BRCM_B.264
0e0b8fedcd50c3659f35de4a462c43fe3625b2d0d4165759fd9836cbb87e914d  h264-jvt/frext/HPCA_BRCM_C.264
2460cb4cda146924af95bd359b73090c9731690ed64b0cd5035dfeea8a1637d6  h264-jvt/frext/HPCVFLNL_BRCM_A.264
5fd105148550967d57a3d0ed335c32d84643697061b78b9e5c7e835a57396983  h264-jvt/frext/HPCVFL_BRCM_A.264
5071e978fe987043ef3dc6222ffaef7346639aad3ad180b8688b46f1d91a6e8c  h264-jvt/frext/HPCVMOLQ_BRCM_B.264
7bde98589d16b64bfad343b763aa112cf430e61e427b7f5077697547919bc561  h264-jvt/frext/HPCVNL_BRCM_A.264
87858e53b1d9b121efaf3e6f8adec967e7b74c0c9e2223e3b7e8b81c448d4176  h264-jvt/frext/HPCV_BRCM_A.264
7c2f72b1091095840aed11dd659530531ad4d17ac59386145878fa51de6667f5  h264-jvt/frext/PPH10I1_Panasonic_A.264
80a02559ed20f0e3cc54d84faf7d8f6d79530c10067e7e4bbc663ef6590838c9  h264-jvt/frext/PPH10I2_Panasonic_A.264
66c5b426e66b97bb9951a590fc52435d5da03e73673a25bcfbdfddca72a9a117  h264-jvt/frext/PPH10I3_Panasonic_A.264
fc9b9512027d6c6ae2034e583f12f109823fc1bab4cf6fa9fa8720975b4db37e  h264-jvt/frext/PPH10I4_Panasonic_A.264
72d732367e063fcc619ab3aeea79f894ba6afa702bab9855824a6d338bb92ee4  h264-jvt/frext/PPH10I5_Panasonic_A.264
eec1ad9774aa0d6844786980a83a2d8a0ffd16772c31e175dc6096396abc8afd  h264-jvt/frext/PPH10I6_Panasonic_A.264
50046fc1758b1f6bc71e6bdb8f99f8b752f1d590579ebb62ea520f8960599700  h264-jvt/frext/PPH10I7_Panasonic_A.264
bb0a280deb95c6ad01b0d9b9659ee6035ebd077ae0566237ea46413399378e40  h264-jvt/frext/freh10.264
933b5ca93e46a8470b0bbd29671a8013b168e674449f8ce2fb88f621b4f751b5  h264-jvt/frext/freh11.264
341a96f765114a6a05eae2039f546f4846e12e79ea339cb77e7b1a9d0f609318  h264-jvt/frext/freh3.264
395e1e37c7697220dc8ec0c7c7f77f3bbe2f97a7972b4e31a83e06ef0551a6e0  h264-jvt/frext/freh4.264
9ddbef250b94b5bd1cfc496553ef80153b5f0b7ad08b5186504cf3bcee49d439  h264-jvt/frext/freh5.264
e994aea2f71a0aefa0d332b5d66140a56267504ebe37e5627f5d9f5303fe9fe1  h264-jvt/frext/freh6.264
d2e32d901e791ae8d9673982909b6cfeb4e10fb094c121c622d09e926baa9db7  h264-jvt/frext/freh8.264
00e1b08935f3acb3fdbd4963df1566deaf071c038be9fa32fe5d93d7e135b21f  h264-jvt/frext/freh9.264
be27c2f2e160850affcbfe4ca254dacb676d864f32f8335ce6599ef6a19a0252  h264-jvt/frext/test8b43.264
831a1ca95606085d28fe226d953f3ec2d59cdbe1ae83a7da682a960f0a189355  av1-avif/testFiles/Apple/edge_case_testing/non_compliant/truncated_elementary_stream.avif
6637b906aecc85228b61b6da3899370fdd46abe44cb91cc752ec2b7fbd9dc698  av1-avif/testFiles/Apple/edge_case_testing/unknown_properties/free_property.avif
5de42614c3142e1be4a14c0856d6db6e26cdf216f832398ea47167479e3ed8e7  av1-avif/testFiles/Apple/edge_case_testing/unknown_properties/unknown_nonessential_property.avif
62edad3dffbdd094d91c729cf3c599efe60a15274d283a8604affb0e3b6abcc4  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_a1lx.avif
5b150c2e9bdf8bde459a81d74827c1ae07dacc2684054fcac78e4a8676021743  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_a1op.avif
8c58289820b0ab4a1345e997fbc7d697860ab1488b6f84891a414f32edef5fe4  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_a1op_lsel.avif
b65d38bf37acad4d91ef6b9c6a7b8e785a344db37ef248afd91cd583d54111d1  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_grid_a1lx.avif
5260c251d9f0161be51d134cbe39642357cd4d36826599d408ae5c3c88b902a1  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_grid_lsel.avif
eae84e3e812db46af7953da1ce208e11541a362fbcfc91417bbe60b93341d588  av1-avif/testFiles/Apple/multilayer_examples/animals_00_multilayer_lsel.avif
0fe539e86b5eadaf64d9049ebb195c49af6bc3f3e0e5f959f91ac296bc701f6e  av1-avif/testFiles/Apple/multilayer_examples/animals_00_singlelayer.avif
3f64c834081df61854d514fab050998cae2d236952c3f4d8c9fc18d99965c820  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.avif
c711b4a89cee3b8e9094176e6aa0dbd2329922cb102f056caa73feab0c1568b2  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.monochrome.avif
e38fce82ae5cdf5690b5108448c7f67ead90e433cf2ff1c4e222982b53151a3b  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.monochrome.odd-height.avif
b5f8946dd92df3cb4b43cc311f480958b4435fbe4a85e9e90b14f19e6c5be77e  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.monochrome.odd-width.avif
6dc4376dc3bd3b39edd704af545846078783251c8a6e42fd72c42db69323dcd7  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.monochrome.odd-width.odd-height.avif
1ac9799548d74f927cd167fb968f420bfc4d7a977b0914f340b336dedb48aa41  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.odd-height.avif
eacad5269bb62bc36b10bb289902cd1d407f7aa4df0c718b2a735c25819da8ec  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.odd-width.avif
3f26a6ba47cb7d69e7387d182e16a663740490ae3279ee8309e77bb04e6d435e  av1-avif/testFiles/Link-U/fox.profile0.10bpc.yuv420.odd-width.odd-height.avif
d0ca9be129d6d06a65f7e852388c9d017b23bf5349af166634a6dacd567dd5e9  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.avif
f13aa066c84980708bf560a19768982c4e02a2f6c3f602f5dbf5193aab80fd4c  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.monochrome.avif
54798f726a12b36abaccd53b5f82c703e61bfdbbef71bee50e8ac8f0a343e0cb  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.monochrome.odd-height.avif
2e9726ecf6f224f65df17dc550c396c4899179baaacf67cf0f9f8bc05f8ca746  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.monochrome.odd-width.avif
6e314d838380536db3fac9ba7d25a8c2f51740b47ae44e55d362e14b09e300e9  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.monochrome.odd-width.odd-height.avif
b9024492e343dbc7365791f7abf20bd244d9cd040063440d5b31b54ebd6ad0bf  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.odd-height.avif
c121b768baa0c7042bb6919f0d757d2563d89426f570e2a33601fe6fe27b5b17  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.odd-width.avif
707a6a17554f0d3c89af3b39df00bfacc2b38dde2e9b2ac4900c886e50f0cfc6  av1-avif/testFiles/Link-U/fox.profile0.8bpc.yuv420.odd-width.odd-height.avif
18f9c9c15c1d80401f061be7227756b63ba824f2a3b0e7fe483100faee15656e  av1-avif/testFiles/Link-U/fox.profile1.10bpc.yuv444.avif
b558251d59be7c14c2bf9d83de804814cbde83a19f3ba0c84a0bddc5c59d6fb5  av1-avif/testFiles/Link-U/fox.profile1.10bpc.yuv444.odd-height.avif
39df79045e1ba8a6a34a2f68ac177ae4f735dd207ee70fff6ef54a37beed12d4  av1-avif/testFiles/Link-U/fox.profile1.10bpc.yuv444.odd-width.avif
2d4cc284245eb17bfa2f417e062c7e52247d07b0cf857a529d5e664e1ec6a473  av1-avif/testFiles/Link-U/fox.profile1.10bpc.yuv444.odd-width.odd-height.avif
a3927fd56a620eb45bc2b563afcf6d6f413344d12c0ef9fa90020c29b390a439  av1-avif/testFiles/Link-U/fox.profile1.8bpc.yuv444.avif
d467d112eba54120bc6ea59a409b34f96b23de789b3ca6a7bbb3c98982f9aa08  av1-avif/testFiles/Link-U/fox.profile1.8bpc.yuv444.odd-height.avif
cad06e614a7bfc105ec91832563fdd5289cd02c652d407a6049c147b43f152b5  av1-avif/testFiles/Link-U/fox.profile1.8bpc.yuv444.odd-width.avif
8f466c807a2215a66d8c03786eef6bf1778bf64dabf75917d7ab62dac2aabde7  av1-avif/testFiles/Link-U/fox.profile1.8bpc.yuv444.odd-width.odd-height.avif
fc4995d5ad3ffcb36e97fcd75b4c7c0d0baf5e223016c9b8411b5680fd994357  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.avif
bc49856996ed456febf3b8184b92326c77ad106159c7b65cb116d09383f8045c  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.monochrome.avif
45d1461309fde3bfbea3b6d28a11680dc1bbc842ca6725aa5a4995652af4dfad  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.monochrome.odd-height.avif
62eb2af2954ccf58abb2d8b407d79f4cfb9a81e69575056d7c16a420ec9d760b  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.monochrome.odd-width.avif
8a9e5eee8c516aee6d8e4a5eccc922291895b75d9c01dd60e9d12538c47d26d8  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.monochrome.odd-width.odd-height.avif
431ab9a58a58d53744b09db2838ba68a521cfba1b7e15bbe318d93a6c5ec1cce  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.odd-height.avif
33fde6eb75282e484c6dd77121740788e4332e08f2ae46937f3f6019f0444cc6  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.odd-width.avif
d4e8579baa77c3206a90ab7b68cb60eb9e3f94539e6b5cfa955d772832d3ebb5  av1-avif/testFiles/Link-U/fox.profile2.10bpc.yuv422.odd-width.odd-height.avif
a324988b58d5e2a0865aa6d9161c6a10bd73a4098e67c57db986a4adc3de41e5  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.avif
498743247f72e8a50d0050faf34d030065c56ba1d93a3e42a059bd703b29309c  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.monochrome.avif
b19a44f611dfc013b40ea7a4c9e92ff7d4d7cffd4aceb3b4aa9ffcaf40467cb4  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.monochrome.odd-height.avif
6d704062208042fe951a904c755015a4f1bb45e850116144082d04c22f87eb4f  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.monochrome.odd-width.avif
05dd5aa3df65b4ad612ec8911a68eb5fbb651379dda9fce12407f4a368f1e426  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.monochrome.odd-width.odd-height.avif
dca60b18a1de049e4c59591e5fd8f4a08a85cd6bf03e56c98ea6c93ce66cf890  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.odd-height.avif
3e59eef0c08c6728e7565ee9665e274a4c6b2ba6cf048bb3db9b2995ab3072a7  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.odd-width.avif
cc88567c95e799a8fe1487bf4dae604228beda8eb42a76de2d93bc7a70756823  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv420.odd-width.odd-height.avif
3e698431c62ff4018114059a07b3fd29c2eda8abdbc6143be366dcc8064ef692  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.avif
498743247f72e8a50d0050faf34d030065c56ba1d93a3e42a059bd703b29309c  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.monochrome.avif
b19a44f611dfc013b40ea7a4c9e92ff7d4d7cffd4aceb3b4aa9ffcaf40467cb4  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.monochrome.odd-height.avif
6d704062208042fe951a904c755015a4f1bb45e850116144082d04c22f87eb4f  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.monochrome.odd-width.avif
05dd5aa3df65b4ad612ec8911a68eb5fbb651379dda9fce12407f4a368f1e426  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.monochrome.odd-width.odd-height.avif
4a152d6b1dc66fc6951b9a77ffcb414a60d2b866e48c722de0afb534f4c3576d  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.odd-height.avif
6e424f8d60243c0629e075ec3351914b7392363295e8ae382333a454b4fe4279  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.odd-width.avif
006343d1cdd7652c26514f407c57febaacc934db051aff7fd8cc088c03387911  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv422.odd-width.odd-height.avif
f3e7adaa9d16c74837a83ee2981a95321fc375e9478183f5841d1de43b261f4c  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.avif
498743247f72e8a50d0050faf34d030065c56ba1d93a3e42a059bd703b29309c  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.monochrome.avif
b19a44f611dfc013b40ea7a4c9e92ff7d4d7cffd4aceb3b4aa9ffcaf40467cb4  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.monochrome.odd-height.avif
6d704062208042fe951a904c755015a4f1bb45e850116144082d04c22f87eb4f  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.monochrome.odd-width.avif
05dd5aa3df65b4ad612ec8911a68eb5fbb651379dda9fce12407f4a368f1e426  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.monochrome.odd-width.odd-height.avif
1023c39eb41dcf8b9f78786a14d5fec4157e506f670a8656f7d220566898a265  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.odd-height.avif
20798f4b14aec4035acae34eb784a01f6b92688a6d3d4eeda920755f1fe6d539  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.odd-width.avif
c6825b07169a638a5e4321ad88913e64588196edc1248ad87cb62cbd3267cedb  av1-avif/testFiles/Link-U/fox.profile2.12bpc.yuv444.odd-width.odd-height.avif
80c40defdba0f04d315a8e3f4a2ddbc7f7b4ce141f77a344685b8e087f17f799  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.avif
f8e2d303ad609313f57aaa23654417c58d9108f5ee0ca9a42d102117aa52434c  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.monochrome.avif
2102df3333a57e65a025c97d77c90e32d708de163dec63760e1c3062d546e2bb  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.monochrome.odd-height.avif
535e34593fe8e21557f8aea674d78ead866cfcad82768d603589a370a24b73be  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.monochrome.odd-width.avif
52f176603db5b01bb3cdbd3a5c484ee2f66b6916c1897c571e6aa44142462312  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.monochrome.odd-width.odd-height.avif
cee6739403acb53c531d2ba7de858b68df3d1155f5b2770dc322cf37594bfbff  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.odd-height.avif
1791d2e2e4e29eba6489fd30fe776bb68da03a49d80aedaccc10851575c9a5b3  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.odd-width.avif
712212b75e655186fffcf54f34fb00aa0117ae1a206831a7a0c5c12d83b67047  av1-avif/testFiles/Link-U/fox.profile2.8bpc.yuv422.odd-width.odd-height.avif
`;

/** The pinned SHA-256 of each vector, by its path under VECTORS_DIR. */
export const SUMS: ReadonlyMap<string, string> = new Map(
  SUMS_TEXT.trim().split("\n").map((l) => {
    const [sha256, rel] = l.split(/\s+/);
    return [rel, sha256];
  }),
);

/** The pinned vectors under `dir` whose names end in `ext`, in SUMS's order. */
export function vectorsIn(dir: string, ext = ""): string[] {
  return [...SUMS.keys()].filter((rel) => rel.startsWith(`${dir}/`) && rel.endsWith(ext));
}
