"""The settings dock: this chat's settings, and the defaults for new chats and the runtime.

The panel only edits and validates; it emits what was applied and the main window saves it, then
calls `show_chat` / `show_config` with what the engine actually stored.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import i18n
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.settings.form import ErrorLabel, NumberFieldsForm
from desktop.settings.texts import setting_text
from engine.config import AppConfig
from engine.models.memory import ContextRoom
from engine.settings import (
    BUILTIN_PRESETS,
    CONTEXT_POLICY_LABELS,
    RUNTIME_FIELDS,
    SAMPLING_FIELDS,
    ChatSettings,
    ContextPolicy,
    SamplingSettings,
    runtime_from_dict,
    sampling_from_dict,
)

FIX_FIELDS = QT_TRANSLATE_NOOP("settings.panel", "Fix the highlighted fields")
NO_CHAT_NOTE = QT_TRANSLATE_NOOP("settings.panel", "Open or start a chat to change its settings.")
CHANGED = QT_TRANSLATE_NOOP("settings.panel", "changed")  # "Balanced (changed)": values differ
# Shown at once; the rest fold under "More" (every runtime setting is shown).
EVERYDAY_SAMPLING = frozenset(
    {"temperature", "max_tokens", "top_p", "top_k", "min_p", "repeat_penalty", "seed"}
)


class _ChatSettingsEditor(QWidget):
    """System prompt, context policy and sampling: the part both tabs share."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        prompt_label = QLabel(self.tr("System prompt"), self)
        self.prompt = QPlainTextEdit(self)
        self.prompt.setAccessibleName(self.tr("System prompt"))
        # Tab must leave the box, or keyboard users are trapped in it.
        self.prompt.setTabChangesFocus(True)
        self.prompt.setFixedHeight(self.prompt.fontMetrics().lineSpacing() * 5)
        self.prompt.textChanged.connect(self.edited)
        prompt_label.setBuddy(self.prompt)

        policy_label = QLabel(self.tr("When the chat outgrows the context"), self)
        policy_label.setWordWrap(True)
        self.policy = QComboBox(self)
        self.policy.setAccessibleName(self.tr("When the chat outgrows the context"))
        for policy, label in CONTEXT_POLICY_LABELS.items():
            text = setting_text(label)
            self.policy.addItem(text, policy.value)
        self.policy.currentIndexChanged.connect(self.edited)
        policy_label.setBuddy(self.policy)

        sampling_group = QGroupBox(self.tr("Sampling"), self)
        self.sampling = NumberFieldsForm(SAMPLING_FIELDS, sampling_group,
                                         everyday=EVERYDAY_SAMPLING)
        self.sampling.edited.connect(self.edited)
        QVBoxLayout(sampling_group).addWidget(self.sampling)

        for widget in (prompt_label, self.prompt, policy_label, self.policy, sampling_group):
            layout.addWidget(widget)
        self._shown = ChatSettings()  # what is edited here, with what is not (Think)

    def set_settings(self, settings: ChatSettings) -> None:
        self._shown = settings
        self.prompt.setPlainText(settings.system_prompt)
        self.policy.setCurrentIndex(self.policy.findData(settings.context_policy.value))
        self.sampling.set_values(dataclasses.asdict(settings.sampling))

    def settings(self) -> ChatSettings | None:
        """The edited settings, or None while any field is refused (its error is then shown)."""
        values, errors = self.sampling.values()
        if errors:
            return None
        return dataclasses.replace(
            self._shown,
            system_prompt=self.prompt.toPlainText(),
            sampling=sampling_from_dict(values),
            context_policy=ContextPolicy(self.policy.currentData()),
        )


class SettingsPanel(QWidget):
    """Settings for the open chat and for new chats; meant to live in a dock about 340 px wide."""

    chatSettingsApplied = Signal(dict)  # overrides of the chat defaults, as stored with a chat
    configApplied = Signal(object)  # AppConfig
    presetSaved = Signal(str, object)  # name, SamplingSettings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._config = AppConfig()
        self._shown: tuple[object, ...] | None = None  # what the Defaults tab was filled with
        self._preset_names: list[str] = []
        self._base_preset = -1  # the preset the chat's values are shown against; -1: none yet
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Settings"))
        self.tabs.addTab(self._build_chat_tab(), self.tr("This chat"))
        self.tabs.addTab(self._build_defaults_tab(), self.tr("Defaults"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.show_config(self._config)
        self.show_chat(self._config.chat_defaults, has_chat=False)

    # -- building --------------------------------------------------------------------------------

    # Widgets are created in reading order, parent first: Qt's default tab order is creation
    # order, so this keeps the panel keyboard-navigable top to bottom without setTabOrder.

    def _build_chat_tab(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("chatTab")
        self._no_chat_note = QLabel(translated("settings.panel", NO_CHAT_NOTE), page)
        self._no_chat_note.setWordWrap(True)
        self._no_chat_note.setAccessibleName(self.tr("No chat note"))

        # Everything below the note is disabled together when there is no chat.
        self._chat_body = QWidget(page)
        area, content = _scroll_area(self._chat_body)

        preset_label = QLabel(self.tr("Preset"), content)
        self._presets = QComboBox(content)
        self._presets.setAccessibleName(self.tr("Preset"))
        self._presets.setToolTip(
            self.tr("A starting point for the sampling settings. “(changed)” and a dot beside a "
                    "field "
            "mark values that differ from it; choose the preset again to go back to it.")
        )
        # Room for "Balanced (changed)" without sizing the row wider than the dock.
        self._presets.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._presets.setMinimumContentsLength(10)
        # `activated` fires on user choice only, and again when the same preset is picked twice.
        self._presets.activated.connect(self._preset_chosen)
        preset_label.setBuddy(self._presets)
        save_preset = _button(self.tr("Save as preset…"), content)
        save_preset.clicked.connect(self._save_preset)
        preset_row = QHBoxLayout()
        preset_row.addWidget(preset_label)
        preset_row.addWidget(self._presets, 1)
        # On a line of its own: beside "Balanced (changed)" it would make the narrowest dock
        # wider than its longest setting.
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(save_preset)

        self._chat_editor = _ChatSettingsEditor(content)
        self._chat_editor.edited.connect(self._chat_edited)
        self._chat_editor.sampling.edited.connect(self._show_preset)
        content_layout = QVBoxLayout(content)
        content_layout.addLayout(preset_row)
        content_layout.addLayout(save_row)
        content_layout.addWidget(self._chat_editor)
        content_layout.addStretch(1)

        self._chat_summary = _summary_label(self.tr("Chat settings problem"), self._chat_body)
        apply = _button(self.tr("Apply to this chat"), self._chat_body)
        apply.clicked.connect(self._apply_chat)
        reset = _button(self.tr("Reset to defaults"), self._chat_body)
        reset.clicked.connect(self._reset_chat)

        body_layout = QVBoxLayout(self._chat_body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(area, 1)
        body_layout.addWidget(self._chat_summary)
        body_layout.addLayout(_button_row(apply, reset))

        page_layout = QVBoxLayout(page)
        page_layout.addWidget(self._no_chat_note)
        page_layout.addWidget(self._chat_body, 1)
        return page

    def _build_defaults_tab(self) -> QWidget:
        page = QWidget(self)
        page.setObjectName("defaultsTab")
        area, content = _scroll_area(page)

        intro = QLabel(self.tr("New chats start with these settings."), content)
        intro.setWordWrap(True)
        self._defaults_editor = _ChatSettingsEditor(content)
        self._defaults_editor.edited.connect(self._defaults_edited)
        language_group = QGroupBox(self.tr("Interface"), content)
        language_label = QLabel(self.tr("&Language"), language_group)
        self.language = QComboBox(language_group)
        self.language.setAccessibleName(self.tr("Language"))
        for code, name in i18n.language_names().items():
            self.language.addItem(name, code)
        language_label.setBuddy(self.language)
        self.language.activated.connect(self._language_chosen)
        self.language_note = QLabel(self.tr("Takes effect when Hearth starts again."),
                                    language_group)
        self.language_note.setWordWrap(True)
        self.language_note.hide()
        language_row = QHBoxLayout()
        language_row.addWidget(language_label)
        language_row.addWidget(self.language, 1)
        language_layout = QVBoxLayout(language_group)
        language_layout.addLayout(language_row)
        language_layout.addWidget(self.language_note)
        runtime_group = QGroupBox(self.tr("Runtime (all chats)"), content)
        self._runtime = NumberFieldsForm(RUNTIME_FIELDS, runtime_group)
        self._runtime.edited.connect(self._defaults_edited)
        self._room: ContextRoom | None = None
        self._offer: int | None = None
        self.longest_button = QPushButton(runtime_group)
        self.longest_button.setAccessibleName(self.tr("Longest context that fits"))
        self.longest_button.clicked.connect(self._use_longest)
        self.longest_button.hide()
        longest_row = QWidget(runtime_group)
        longest_layout = QHBoxLayout(longest_row)
        longest_layout.setContentsMargins(0, 0, 0, 0)
        longest_layout.addStretch(1)
        longest_layout.addWidget(self.longest_button)
        self._runtime.attach("n_ctx", longest_row)
        self._runtime.edited.connect(self._show_longest)
        QVBoxLayout(runtime_group).addWidget(self._runtime)
        content_layout = QVBoxLayout(content)
        content_layout.addWidget(language_group)
        content_layout.addWidget(intro)
        content_layout.addWidget(self._defaults_editor)
        content_layout.addWidget(runtime_group)
        content_layout.addStretch(1)

        self._defaults_summary = _summary_label(self.tr("Defaults problem"), page)
        apply = _button(self.tr("Apply defaults"), page)
        apply.clicked.connect(self._apply_defaults)

        page_layout = QVBoxLayout(page)
        page_layout.addWidget(area, 1)
        page_layout.addWidget(self._defaults_summary)
        page_layout.addLayout(_button_row(apply))
        return page

    # -- public ----------------------------------------------------------------------------------

    def show_chat(self, settings: ChatSettings, has_chat: bool) -> None:
        self._chat_editor.set_settings(settings)
        self._show_preset(refilled=True)
        self._chat_summary.hide()
        self._chat_body.setEnabled(has_chat)
        self._no_chat_note.setVisible(not has_chat)

    def show_config(self, config: AppConfig) -> None:
        self._config = config
        self.language.setCurrentIndex(max(0, self.language.findData(config.language)))
        if self._shown == _edited_here(config):
            return  # another section was saved (the default model, the API): keep unapplied edits
        self._shown = _edited_here(config)
        self._defaults_editor.set_settings(config.chat_defaults)
        self._runtime.set_values(dataclasses.asdict(config.runtime))
        self._show_longest()
        self._defaults_summary.hide()
        self._presets.clear()
        presets = {**BUILTIN_PRESETS, **config.user_presets}
        self._preset_names = list(presets)
        for name, preset in presets.items():
            self._presets.addItem(name, preset)
        self._show_preset(refilled=True)

    def set_context_room(self, room: ContextRoom | None) -> None:
        """The loaded model's room on this machine (None: no local model loaded), for the
        offer of the longest context that fits under Context length."""
        self._room = room
        self._show_longest()

    def set_gpu_available(self, reason: str | None) -> None:
        """None when layers can be offloaded; otherwise why not, shown next to GPU layers."""
        self._runtime.set_field_enabled("n_gpu_layers", reason is None, reason)

    # -- this chat -------------------------------------------------------------------------------

    def _preset_chosen(self, index: int) -> None:
        preset = self._presets.itemData(index)
        if isinstance(preset, SamplingSettings):
            self._chat_editor.sampling.set_values(dataclasses.asdict(preset))
            self._base_preset = index
            self._show_preset()

    def _save_preset(self) -> None:
        settings = self._chat_settings()
        if settings is None:
            return
        name, accepted = QInputDialog.getText(self, self.tr("Save as preset"), self.tr("Preset "
                                                                                       "name:"))
        name = name.strip()
        if not accepted or not name:
            return
        if name in BUILTIN_PRESETS:
            _show_summary(self._chat_summary, self.tr("“{name}” is a built-in preset; choose "
                                                      "another name").format(name=name))
            return
        self.presetSaved.emit(name, settings.sampling)

    def _chat_edited(self) -> None:
        if not self._chat_editor.sampling.values()[1]:
            self._chat_summary.hide()

    def _apply_chat(self) -> None:
        settings = self._chat_settings()
        if settings is not None:
            self.chatSettingsApplied.emit(settings.overrides_from(self._config.chat_defaults))

    def _reset_chat(self) -> None:
        self._chat_editor.set_settings(self._config.chat_defaults)
        self._show_preset(refilled=True)
        self._chat_summary.hide()
        self.chatSettingsApplied.emit({})

    def _chat_settings(self) -> ChatSettings | None:
        settings = self._chat_editor.settings()
        if settings is None:
            self._chat_editor.sampling.reveal_errors()
            _show_summary(self._chat_summary, translated("settings.panel", FIX_FIELDS))
        return settings

    def _show_preset(self, refilled: bool = False) -> None:
        """Shows the preset the values are, or the one they were changed from, as "Balanced
        (changed)", and marks the fields that differ from it.

        The person's choice of preset stands while they edit. Values filled from a stored chat
        are shown against the preset they differ from least: the preset a chat started from is
        not stored, and that one is where its settings most likely came from.
        """
        values, _errors = self._chat_editor.sampling.values()
        presets = [
            dataclasses.asdict(self._presets.itemData(i)) for i in range(self._presets.count())
        ]
        if not presets:
            return

        def differing(index: int) -> int:
            return sum(values.get(name, ...) != value for name, value in presets[index].items())

        exact = [i for i in range(len(presets)) if differing(i) == 0]
        if exact:  # two presets can hold the same values: keep the one chosen
            self._base_preset = self._base_preset if self._base_preset in exact else exact[0]
        elif refilled or not 0 <= self._base_preset < len(presets):
            self._base_preset = min(range(len(presets)), key=differing)
        base = self._base_preset
        names = [setting_text(name) if name in BUILTIN_PRESETS else name
                 for name in self._preset_names]  # a person's own presets as they named them
        for index, name in enumerate(names):
            changed = index == base and not exact
            shown = f"{name} ({translated('settings.panel', CHANGED)})" if changed else name
            self._presets.setItemText(index, shown)
        self._presets.setCurrentIndex(base)
        self._chat_editor.sampling.set_reference(presets[base], names[base])

    # -- defaults --------------------------------------------------------------------------------

    def _language_chosen(self, index: int) -> None:
        """Saved at once, apart from the defaults' Apply; shown from the next start."""
        language = self.language.itemData(index)
        if not isinstance(language, str) or language == self._config.language:
            return
        self.language_note.show()
        self.configApplied.emit(dataclasses.replace(self._config, language=language))

    def _show_longest(self) -> None:
        """Offers the longest context that fits the loaded model here at the cache precision
        chosen in the form (applied or not)."""
        values, _errors = self._runtime.values()
        bits = values.get("kv_cache_bits")
        self._offer = None if self._room is None else self._room.longest(
            bits if isinstance(bits, int) else 16)
        button = self.longest_button
        button.setVisible(self._offer is not None)
        if self._offer is None:
            return
        if self._offer:
            button.setText(self.tr("Longest that fits: {n_ctx:,}").format(n_ctx=self._offer))
            button.setToolTip(self.tr(
                "<p>The longest context the loaded model has room for in this computer's free "
                "memory now, with the context cache at {bits} bits, up to the context it was "
                "trained for. Sets Context length to it and applies the defaults (the model "
                "loads again).</p>").format(bits=bits))
        else:
            button.setText(self.tr("No context fits the free memory now"))
            button.setToolTip(self.tr("<p>Close other programs, choose fewer cache bits, or a "
                                      "smaller model.</p>"))
        button.setAccessibleName(button.text())
        button.setEnabled(bool(self._offer) and values.get("n_ctx") != self._offer)

    def _use_longest(self) -> None:
        if self._offer:
            self._runtime.set_values({"n_ctx": self._offer})
            self._show_longest()
            self._apply_defaults()

    def _defaults_edited(self) -> None:
        if not self._defaults_editor.sampling.values()[1] and not self._runtime.values()[1]:
            self._defaults_summary.hide()

    def _apply_defaults(self) -> None:
        chat_defaults = self._defaults_editor.settings()
        runtime_values, runtime_errors = self._runtime.values()
        if chat_defaults is None or runtime_errors:
            self._defaults_editor.sampling.reveal_errors()
            _show_summary(self._defaults_summary, translated("settings.panel", FIX_FIELDS))
            return
        self.configApplied.emit(dataclasses.replace(
            self._config, chat_defaults=chat_defaults, runtime=runtime_from_dict(runtime_values)
        ))


def _button(text: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(text.rstrip("…"))
    return button


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def _summary_label(accessible_name: str, parent: QWidget) -> ErrorLabel:
    label = ErrorLabel(parent)
    label.setAccessibleName(accessible_name)
    label.hide()
    return label


def _show_summary(label: QLabel, text: str) -> None:
    label.setText(text)
    label.show()


class _VerticalScrollArea(QScrollArea):
    """Scrolls up and down only, so it is never narrower than its content: the dock it sits in
    cannot be squeezed until fields and their texts are cut off at the right."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        content = self.widget()
        if content is None:
            return hint
        width = (content.minimumSizeHint().width() + self.verticalScrollBar().sizeHint().width()
                 + 2 * self.frameWidth())
        return QSize(max(hint.width(), width), hint.height())


def _scroll_area(parent: QWidget) -> tuple[QScrollArea, QWidget]:
    """A frameless scroll area and its content widget: the dock is often shorter than the form."""
    area = _VerticalScrollArea(parent)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # fields shrink
    # Not a tab stop of its own: tabbing to a field already scrolls it into view.
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    content = QWidget()
    area.setWidget(content)
    return area, content


def _edited_here(config: AppConfig) -> tuple[object, ...]:
    """The parts of the settings file this panel's Defaults tab shows."""
    return config.chat_defaults, config.runtime, config.user_presets
