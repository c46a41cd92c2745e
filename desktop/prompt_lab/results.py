"""The results half of the Prompt Lab tab: one run's candidates, the winner against the zero-shot
baseline on the held-out set, per-example outcomes, the score over the search, past runs."""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QModelIndex, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.prompt_lab.score_chart import ScoreChart
from desktop.prompt_lab.tables import (
    GRADED,
    CandidatesModel,
    OutcomeFilter,
    OutcomesModel,
    score_text,
)
from engine.prompt_lab.prompts import describe
from engine.prompt_lab.results import CandidateRow, TuneResult
from engine.prompt_lab.search import SearchProgress, SearchStarted
from engine.prompt_lab.tasks import Metric, Task, TaskKind

METRIC_NAMES = {
    Metric.ACCURACY: "accuracy", Metric.EXACT: QT_TRANSLATE_NOOP("prompt_lab.results",
                                                            "exact match"), Metric.CONTAINS:
                "contains",
    Metric.REGEX: QT_TRANSLATE_NOOP("prompt_lab.results", "regular expression"), Metric
                .JSON: QT_TRANSLATE_NOOP("prompt_lab.results", "valid JSON"), Metric.ROUGE_L:
                "ROUGE-L",
    Metric.CHRF: "chrF", Metric.JSON_FIELDS: QT_TRANSLATE_NOOP("prompt_lab.results", "JSON fields"),
}


def table(model: object, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)  # type: ignore[arg-type]
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    view.setWordWrap(False)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _percent_interval(metric: Metric, low: float, high: float) -> str:
    return f"[{score_text(metric, low)}–{score_text(metric, high)}]"


def summary_html(result: TuneResult) -> str:
    """What the run found, in a few lines: the held-out comparison first."""
    metric = result.metric
    name = translated("prompt_lab.results", METRIC_NAMES)[metric]
    winner = result.winner
    lines = []
    held = result.held_out
    if held is not None:
        comparison = held.comparison
        points = 100 if metric not in (Metric.ROUGE_L, Metric.CHRF) else 1
        unit = " points" if points == 100 else ""
        difference = comparison.difference * points
        low, high = comparison.interval.low * points, comparison.interval.high * points
        fmt = "{:+.0f}" if points == 100 else "{:+.2f}"
        better = (QCoreApplication.translate("prompt_lab.results", "right where the baseline is "
                                                                   "wrong") if result
                  .kind is TaskKind.CLASSIFICATION
                  else QCoreApplication.translate("prompt_lab.results", "better than the baseline"))
        worse = QCoreApplication.translate("prompt_lab.results", "the reverse")
        lines.append(
            QCoreApplication.translate("prompt_lab.results", "<b>Held-out test</b>, {n} examples "
                                                             "the search never saw ({name}, 95% "
                                                             "intervals): baseline "
                                                             "<b>{score_text}</b> "
                                                             "{percent_interval} → best prompt "
                                                             "<b>{score_text2}</b> "
                                                             "{percent_interval2}")
            .format(n=held.n, name=name,
                    score_text=score_text(
       metric, held.baseline_score),
       percent_interval=_percent_interval(
       metric, held.baseline_interval.low, held
       .baseline_interval.high),
       score_text2=score_text(metric, held
       .winner_score),
       percent_interval2=_percent_interval(
       metric, held.winner_interval.low, held
       .winner_interval.high)))
        lines.append(
            QCoreApplication.translate("prompt_lab.results", "Difference {format}{unit} "
                                                             "[{format2}, {format3}], {test} p = "
                                                             "{p_value:.3g}; best prompt {better} "
                                                             "on {winner_only}, {worse} on "
                                                             "{baseline_only}.")
            .format(format=fmt.format(
       difference), unit=unit, format2=fmt
       .format(low), format3=fmt.format(high),
       test=comparison.test, p_value=comparison
       .p_value, better=better,
       winner_only=comparison.winner_only,
       worse=worse, baseline_only=comparison
       .baseline_only))
    elif result.stopped:
        lines.append(QCoreApplication.translate("prompt_lab.results", "<b>Stopped</b>: the best "
                                                                      "candidate so far is kept. "
                                                                      "The held-out comparison "
                     "did not run, so there is no trustworthy score; tune to the end for one."))
    validation = ("" if winner.score is None
                  else QCoreApplication.translate("prompt_lab.results", ", validation {score_text} "
                                                                        "on {n}")
                       .format(
       score_text=score_text(metric, winner
       .score), n=winner.n))
    calibration = ("" if winner.calibration.value == "none"
                   else QCoreApplication.translate("prompt_lab.results", ", calibrated ({replace})")
                        .format(replace=winner.calibration.value.replace('_', ' ')))
    lines.append(QCoreApplication.translate(
        "prompt_lab.results", "Best prompt: #{id} ({origin}{validation}{calibration}), {format} "
        "format, {count} demos. Baseline: the zero-shot chat prompt (#{baseline}) without "
        "calibration").format(
            id=winner.id, origin=html.escape(winner.origin), validation=validation,
            calibration=calibration, format=winner.spec.format.value,
            count=len(winner.spec.demos), baseline=result.baseline.id)
                 + ("." if result.baseline.score is None else
                    QCoreApplication.translate("prompt_lab.results", ", validation {score_text}.")
                    .format(score_text=score_text(metric, result.baseline.score))))
    started = _local_time(result.started_at)
    lines.append(
        QCoreApplication.translate("prompt_lab.results", "<span style='color: "
                                                         "palette(mid)'>Measured on {name} "
                                                         "(fingerprint {fingerprint}), budget "
                                                         "{budget}, seed {seed}, {started}, "
                                                         "{seconds:.0f} s, {decoded_tokens:,} "
                                                         "tokens.</span>")
        .format(name=html.escape(result.model
       .name), fingerprint=result.model
       .fingerprint[:12], budget=result
       .budget, seed=result.seed,
       started=started, seconds=result
       .seconds, decoded_tokens=result
       .decoded_tokens))
    for warning in result.warnings:
        lines.append(f"<span style='color: #b26a00'>⚠ {html.escape(warning)}</span>")
    return "<br>".join(lines)


def chart_series(
    kind: TaskKind, points: Sequence[tuple[float, float]]
) -> tuple[list[tuple[float, float]], str]:
    """What the chart shows, on a 0..1 scale: for labels the best accuracy; for free text the
    best score of written answers once there are any, before that the likelihood of the
    expected outputs as a probability per token (the search records log-probabilities, below
    0, until answers are written)."""
    if kind is TaskKind.CLASSIFICATION:
        return list(points), QCoreApplication.translate("prompt_lab.results", "Best validation "
                                                                              "score")
    answers = [(seconds, score) for seconds, score in points if score >= 0]
    if answers:
        return answers, QCoreApplication.translate("prompt_lab.results", "Best validation answer "
                                                                         "score")
    return ([(seconds, math.exp(score)) for seconds, score in points],
            QCoreApplication.translate("prompt_lab.results", "Best likelihood (per token)"))


def _local_time(iso: str) -> str:
    try:
        moment = datetime.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def run_title(result: TuneResult, fingerprint: str) -> str:
    """A past run as the runs list shows it."""
    held = result.held_out
    outcome = ("stopped" if held is None and result.stopped
               else
                   QCoreApplication.translate("prompt_lab.results",
                                              "no held-out set") if held is None
               else QCoreApplication.translate("prompt_lab.results", "{score_text} → {score_text2} "
                                                                     "held-out")
                    .format(
       score_text=score_text(result.metric,
       held.baseline_score),
       score_text2=score_text(result.metric,
       held.winner_score)))
    other = ("" if result.model.fingerprint == fingerprint else
        QCoreApplication.translate("prompt_lab.results", " (another model)"))
    return (f"{_local_time(result.started_at)} · {result.budget} · {result.model.name}{other}"
            f" · {outcome}")


class ResultsPanel(QWidget):
    savePresetRequested = Signal(object)  # TuneResult
    useInChatRequested = Signal(object)  # TuneResult

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: TuneResult | None = None
        self._runs: list[TuneResult] = []
        self._kind = TaskKind.CLASSIFICATION
        self._metric = Metric.ACCURACY
        self._history: list[tuple[float, float]] = []  # a running search's best scores
        self._baseline: CandidateRow | None = None  # a running search's baseline
        self.candidates = CandidatesModel()
        self.outcomes = OutcomesModel()

        self.runs_box = QComboBox()
        self.runs_box.setAccessibleName(self.tr("Past runs of this task"))
        self.runs_box.activated.connect(self._on_run_chosen)
        self.save_button = QPushButton(self.tr("Save as preset…"))
        self.save_button.setToolTip(self.tr("Keep the best prompt as a preset for chats"))
        self.save_button.clicked.connect(lambda: self._request(self.savePresetRequested))
        self.chat_button = QPushButton(self.tr("Use in a new chat"))
        self.chat_button.setToolTip(self.tr("Open a chat that uses the best prompt as it was "
                                            "scored"))
        self.chat_button.clicked.connect(lambda: self._request(self.useInChatRequested))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Runs:")))
        top.addWidget(self.runs_box, 1)
        top.addWidget(self.save_button)
        top.addWidget(self.chat_button)

        self.summary_label = QLabel(self.tr("Tune the task to see which prompt works best on it."))
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.candidates_view = table(self.candidates, self.tr("Candidates with validation scores"))
        header = self.candidates_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Interactive)
        self.candidates_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_prompt(current))
        self.chart = ScoreChart()
        middle = QSplitter(Qt.Orientation.Horizontal)
        middle.addWidget(self.candidates_view)
        middle.addWidget(self.chart)
        middle.setStretchFactor(0, 3)
        middle.setStretchFactor(1, 1)
        middle.setSizes([600, 230])
        middle.setChildrenCollapsible(False)

        self.prompt_view = QPlainTextEdit()
        self.prompt_view.setReadOnly(True)
        self.prompt_view.setAccessibleName(self.tr("The selected candidate's prompt"))
        self.prompt_view.setPlaceholderText(self.tr("The selected candidate's prompt"))

        self.filter_box = QComboBox()
        self.filter_box.setAccessibleName(self.tr("Which held-out examples to show"))
        for shown in OutcomeFilter:
            self.filter_box.addItem(shown.value)
        self.filter_box.currentIndexChanged.connect(
            lambda index: self.outcomes.show(list(OutcomeFilter)[max(0, index)]))
        self.outcomes_view = table(self.outcomes, self.tr("Held-out examples, baseline and best "
                                                          "prompt"))
        header = self.outcomes_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 110), (2, 130), (3, 130), (4, 90)):
            self.outcomes_view.setColumnWidth(column, width)
        outcomes = QWidget()
        outcomes_layout = QVBoxLayout(outcomes)
        outcomes_layout.setContentsMargins(0, 0, 0, 0)
        filter_row = QHBoxLayout()
        filter_row.addWidget(QLabel(self.tr("Held-out examples:")))
        filter_row.addWidget(self.filter_box)
        filter_row.addStretch(1)
        outcomes_layout.addLayout(filter_row)
        outcomes_layout.addWidget(self.outcomes_view)

        parts = QSplitter(Qt.Orientation.Vertical)
        parts.addWidget(middle)
        parts.addWidget(self.prompt_view)
        parts.addWidget(outcomes)
        parts.setSizes([260, 70, 170])
        parts.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary_label)
        layout.addWidget(parts, 1)
        self._update_buttons()

    # A run in progress ---------------------------------------------------------------------

    def start_run(self, task: Task, started: SearchStarted) -> None:
        self.result = None
        self._kind, self._metric = task.kind, task.metric
        self._history, self._baseline = [], None
        self.candidates.set_rows([], task.metric, None, 0)
        self.outcomes.set_outcomes([], task.metric)
        self._draw_chart(0.0)
        self.prompt_view.clear()
        warnings = "".join(f"<br><span style='color: #b26a00'>⚠ {html.escape(w)}</span>"
                           for w in started.warnings)
        self.summary_label.setText(
            self.tr("Searching {candidates} candidates on {validation} validation examples "
                    "({demo_pool} more may be shown as demos); {test} held-out examples wait for "
                    "the end.{warnings}")
            .format(candidates=started.candidates, validation=started.validation,
                    demo_pool=started.demo_pool, test=started.test, warnings=warnings))
        self._update_buttons()

    def add_candidates(self, rows: Sequence[CandidateRow]) -> None:
        self.candidates.update(rows)
        self._baseline = next((row for row in rows if row.id == 0), self._baseline)
        if self.candidates_view.currentIndex().row() < 0:
            self._show_prompt(self.candidates.index(0, 0))

    def add_progress(self, progress: SearchProgress) -> None:
        best = progress.best_score
        if best is not None and (not self._history or self._history[-1][1] != best):
            self._history.append((progress.seconds_elapsed, best))
        self._draw_chart(progress.seconds_elapsed)

    def _draw_chart(self, end: float) -> None:
        baseline = self._baseline
        score = None  # as the result will show it: uncalibrated accuracy, or answers' score
        if baseline is not None:
            score = (baseline.scores_by_calibration.get("none", baseline.score)
                     if self._kind is TaskKind.CLASSIFICATION else baseline.score)
        self._chart(self._history, score, baseline.gold_logprob if baseline else 0.0, end)

    def _chart(self, history: Sequence[tuple[float, float]], baseline_score: float | None,
               baseline_likelihood: float, end: float) -> None:
        points, title = chart_series(self._kind, history)
        baseline = baseline_score
        if title.startswith("Best likelihood"):
            baseline = math.exp(baseline_likelihood) if baseline_likelihood else None
        self.chart.set_points(points, baseline, percent=self._metric not in GRADED, end=end,
                              title=title)

    # A finished run ------------------------------------------------------------------------

    def show_result(self, result: TuneResult) -> None:
        self.result = result
        self.candidates.set_rows(result.candidates, result.metric, result.winner.id,
                                 result.baseline.id)
        held = result.held_out
        self.outcomes.set_outcomes(held.examples if held else (), result.metric)
        graded = result.kind is TaskKind.FREE_TEXT
        for shown, text in ((OutcomeFilter.WINNER_BETTER, "Best prompt better than baseline"),
                            (OutcomeFilter.BASELINE_BETTER, "Baseline better than best prompt")):
            index = list(OutcomeFilter).index(shown)
            self.filter_box.setItemText(index, text if graded else shown.value)
        self._kind, self._metric = result.kind, result.metric
        self._chart([(p.seconds, p.best_score) for p in result.history],
                    result.baseline.score, result.baseline.gold_logprob, result.search_seconds)
        self.summary_label.setText(summary_html(result))
        self.candidates_view.setCurrentIndex(self.candidates.index(0, 0))
        self._show_prompt(self.candidates.index(0, 0))
        self._select_run(result.run_id)
        self._update_buttons()

    def clear(self) -> None:
        self.result = None
        self._runs = []
        self.runs_box.clear()
        self.candidates.set_rows([], Metric.ACCURACY, None, 0)
        self.outcomes.set_outcomes([], Metric.ACCURACY)
        self.chart.set_points([], None)
        self.prompt_view.clear()
        self.summary_label.setText(self.tr("Tune the task to see which prompt works best on it."))
        self._update_buttons()

    def set_runs(self, runs: list[TuneResult], fingerprint: str) -> None:
        """Past runs, newest first; the newest is shown unless one is already."""
        self._runs = runs
        self.runs_box.clear()
        for run in runs:
            self.runs_box.addItem(run_title(run, fingerprint), run.run_id)
        if self.result is not None and any(r.run_id == self.result.run_id for r in runs):
            self._select_run(self.result.run_id)
        elif runs:
            self.show_result(runs[0])
        self._update_buttons()

    def _select_run(self, run_id: str) -> None:
        index = self.runs_box.findData(run_id)
        if index >= 0:
            self.runs_box.setCurrentIndex(index)

    def _on_run_chosen(self, index: int) -> None:
        if 0 <= index < len(self._runs):
            self.show_result(self._runs[index])

    def _show_prompt(self, index: QModelIndex) -> None:
        row = self.candidates.row_object(index.row()) if index.isValid() else None
        if row is None:
            self.prompt_view.clear()
            return
        words = (self.tr("\n\nLabel words: {join}; calibration: {replace}")
                 .format(join=', '.join(row.spec.label_words),
                         replace=row.calibration.value.replace('_',
                                 ' ')) if row.spec.label_words else "")
        self.prompt_view.setPlainText(self.tr("Candidate #{id}:\n{describe}{words}")
                                      .format(id=row.id, describe=describe(row.spec), words=words))

    def _request(self, signal: SignalInstance) -> None:
        if self.result is not None:
            signal.emit(self.result)

    def _update_buttons(self) -> None:
        for button in (self.save_button, self.chat_button):
            button.setEnabled(self.result is not None)
