#!/usr/bin/env bash
# Train Tesseract's LSTM plate model (plate.traineddata) from synthesized
# plates only (see ocr/tess/traingen_test.go): nothing here comes from real
# images.
#
#   bash ocr/tess/train/train.sh [WORKDIR]
#
# Steps: install the typefaces and Tesseract's training tools (Debian
# packages), write N synthesized lines (ALPRD_TRAIN_N, default 80000) with
# `go test -run TestTrainingSet`, turn each into an .lstmf with
# `tesseract ... lstm.train`, build a starter model with
# combine_lang_model, train a small network from scratch with lstmtraining
# (ITER iterations, default 150000), and write ocr/tess/model/plate.traineddata
# (an integer model, as Read uses it), which the package embeds, or the file
# ALPRD_PLATE_OUT names (to compare a candidate model before replacing it). The data are
# seeded (ALPRD_TRAIN_SEED=1), but lstmtraining runs on all cores and gives
# another model each run, and not one of the same quality on real plates: a
# rerun of this recipe (training character error 7.9 %) read, in the
# reader, 313 of crops-us and 68 of endtoend-us where the embedded model
# reads 324 and 70 (alone 258 and 64, against 281 and 63). Compare a
# candidate with alpreval before it replaces the embedded model. About 50
# minutes on 2 cores (15 to synthesize and convert, 35 to train).
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)
WORK=${1:-${TMPDIR:-/tmp}/alprd-plate-train}
N=${ALPRD_TRAIN_N:-80000}
ITER=${ITER:-150000}
NET='[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lfx96 Lrx96 Lfx192 O1c###]'
OUT=${ALPRD_PLATE_OUT:-$ROOT/ocr/tess/model/plate.traineddata}
log() { printf 'train: %s\n' "$*" >&2; }

FONT_PKGS=(fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-urw-base35 fonts-bebas-neue fonts-roboto-unhinted fonts-freefont-ttf fonts-b612 fonts-jura fonts-opendin fonts-open-sans tesseract-ocr)
missing=()
for p in "${FONT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { log "run: sudo apt-get install -y ${missing[*]}"; exit 1; }
	log "apt-get install ${missing[*]}"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
# The typefaces, one file a line; make glyph-net draws plates in them too.
mapfile -t FONTS <"$ROOT/ocr/tess/train/fonts.txt"

rm -rf "$WORK"
mkdir -p "$WORK/lines" "$WORK/lang" "$WORK/ckpt" "$WORK/script"
log "synthesizing $N lines into $WORK/lines"
(cd "$ROOT" && ALPRD_TRAIN_OUT="$WORK/lines" ALPRD_TRAIN_N="$N" ALPRD_TRAIN_SEED=1 \
	ALPRD_TRAIN_FONTS="$(IFS=:; echo "${FONTS[*]}")" \
	go test -count=1 -run '^TestTrainingSet$' ./ocr/tess >/dev/null)

log "making .lstmf files"
# lstm.train reads the model's configuration only (tessedit_init_config_only).
xargs -P "$(nproc)" -I{} sh -c 'tesseract "$1" "${1%.png}" --psm 13 lstm.train >/dev/null 2>&1' _ {} <"$WORK/lines/list.txt"
# (find, not a glob: tens of thousands of names overflow the argument list)
find "$WORK/lines" -name '*.lstmf' | sort >"$WORK/all.txt"
# Every 20th line is held out to watch the error rate.
awk 'NR % 20 == 0' "$WORK/all.txt" >"$WORK/eval.txt"
awk 'NR % 20 != 0' "$WORK/all.txt" >"$WORK/train.txt"

log "starter model"
find "$WORK/lines" -name '*.gt.txt' -print0 | sort -z | xargs -0 cat >"$WORK/all.gt"
unicharset_extractor --output_unicharset "$WORK/unicharset" --norm_mode 1 "$WORK/all.gt" >/dev/null 2>&1
# Only Han scripts use the radical table, but the file must parse.
echo "19968 1 1" >"$WORK/script/radical-stroke.txt"
combine_lang_model --input_unicharset "$WORK/unicharset" --script_dir "$WORK/script" \
	--output_dir "$WORK/lang" --lang plate >/dev/null 2>&1
n=$(head -n1 "$WORK/unicharset")

log "lstmtraining, $ITER iterations"
OMP_THREAD_LIMIT=$(nproc) lstmtraining \
	--traineddata "$WORK/lang/plate/plate.traineddata" \
	--net_spec "${NET/c###/c$n}" \
	--model_output "$WORK/ckpt/plate" \
	--learning_rate 0.002 \
	--train_listfile "$WORK/train.txt" \
	--eval_listfile "$WORK/eval.txt" \
	--max_iterations "$ITER" \
	--target_error_rate 0.001 \
	--debug_interval 0 >"$WORK/train.log" 2>&1 || {
	# lstmtraining (5.3) can crash on its way out, after "Finished!" and
	# its last checkpoint: the model is complete then.
	if grep -q '^Finished!' "$WORK/train.log" && [ -s "$WORK/ckpt/plate_checkpoint" ]; then
		log "lstmtraining crashed after it finished; converting its last checkpoint"
	else
		tail -20 "$WORK/train.log" >&2
		exit 1
	fi
}
grep -E "^At iteration|^Finished" "$WORK/train.log" | tail -3 >&2

mkdir -p "$(dirname "$OUT")"
lstmtraining --stop_training --convert_to_int \
	--continue_from "$WORK/ckpt/plate_checkpoint" \
	--traineddata "$WORK/lang/plate/plate.traineddata" \
	--model_output "$OUT" >/dev/null 2>&1
log "wrote $OUT ($(du -h "$OUT" | cut -f1))"
