"""The settings' names and explanations, marked for translation.

They are engine/settings.py's texts (each FieldSpec's label, help and advice, and the context
policies' labels): the engine is free of Qt, so the same English is listed here for lupdate and
translated where the settings are shown. tests/desktop/test_language.py fails when the engine's
texts and this list part.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop.i18n import QT_TRANSLATE_NOOP

CONTEXT = "settings"
TEXTS = (
    QT_TRANSLATE_NOOP("settings", "Temperature"),
    QT_TRANSLATE_NOOP(
        "settings",
        "How adventurous the wording is: low is focused, high is varied."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Lower it (0.2–0.5) for facts, code and summaries; raise it (0.8–1.2) "
        "for stories and brainstorming. At 0 the same question always gets the "
        "same answer."),
    QT_TRANSLATE_NOOP("settings", "Top-k"),
    QT_TRANSLATE_NOOP("settings", "Only the k likeliest next words are considered (0 = no limit)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Smaller values give safer, plainer replies. 40 suits most models; set "
        "0 to leave the choice to top-p and min-p."),
    QT_TRANSLATE_NOOP("settings", "Top-p"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Only the likeliest words whose chances add up to p are considered (1 ="
        " off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Lower it (0.8–0.9) to cut odd word choices. Change this or the "
        "temperature, not both at once."),
    QT_TRANSLATE_NOOP("settings", "Min-p"),
    QT_TRANSLATE_NOOP("settings", "Drops words far less likely than the likeliest one (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "0.05–0.1 removes nonsense but keeps variety, even at a high "
        "temperature. Raise it if replies wander off."),
    QT_TRANSLATE_NOOP("settings", "Typical-p"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Prefers words about as surprising as the text so far (1 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Rarely needed. 0.9–0.95 can make long creative writing read more "
        "naturally; leave it at 1 otherwise."),
    QT_TRANSLATE_NOOP("settings", "Repeat penalty"),
    QT_TRANSLATE_NOOP("settings", "Makes words used in the penalty window less likely (1 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Raise it a little (1.1–1.2) if the model repeats itself. Too high and "
        "it avoids words it needs, such as names and code keywords."),
    QT_TRANSLATE_NOOP("settings", "Presence penalty"),
    QT_TRANSLATE_NOOP("settings", "Makes any word already used less likely (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "A small positive value (0.1–0.5) nudges the model towards new topics; "
        "a negative one keeps it on the same ones. Usually left at 0."),
    QT_TRANSLATE_NOOP("settings", "Frequency penalty"),
    QT_TRANSLATE_NOOP("settings", "Makes a word less likely the more often it was used (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "A small positive value (0.1–0.5) helps when the same word keeps coming"
        " back. Usually left at 0."),
    QT_TRANSLATE_NOOP("settings", "Penalty window"),
    QT_TRANSLATE_NOOP("settings", "How many recent tokens the three penalties look back over."),
    QT_TRANSLATE_NOOP(
        "settings",
        "64 covers the last sentence or two; more looks further back for "
        "repeats. 0 turns the penalties off."),
    QT_TRANSLATE_NOOP("settings", "DRY multiplier"),
    QT_TRANSLATE_NOOP(
        "settings",
        "How strongly DRY stops the model copying earlier text (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Try 0.8 if replies loop or repeat whole sentences. Keep it at 0 for "
        "code and data, where exact repeats are wanted."),
    QT_TRANSLATE_NOOP("settings", "DRY base"),
    QT_TRANSLATE_NOOP("settings", "How fast the DRY penalty grows as a repeat gets longer."),
    QT_TRANSLATE_NOOP(
        "settings",
        "1.75 is usual; higher punishes long repeats much harder. Matters only "
        "while the DRY multiplier is above 0."),
    QT_TRANSLATE_NOOP("settings", "DRY allowed length"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Repeats up to this many tokens long are never penalised by DRY."),
    QT_TRANSLATE_NOOP(
        "settings",
        "2 lets short common phrases repeat. Raise it if DRY mangles names or "
        "fixed phrases. Matters only while the DRY multiplier is above 0."),
    QT_TRANSLATE_NOOP("settings", "XTC probability"),
    QT_TRANSLATE_NOOP("settings", "How often XTC removes the most obvious next words (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "About 0.5 makes creative writing less predictable. Keep it at 0 for "
        "facts, code and instructions."),
    QT_TRANSLATE_NOOP("settings", "XTC threshold"),
    QT_TRANSLATE_NOOP("settings", "Words at least this likely count as obvious to XTC."),
    QT_TRANSLATE_NOOP(
        "settings",
        "0.1 is usual; higher removes fewer words. Matters only while the XTC "
        "probability is above 0."),
    QT_TRANSLATE_NOOP("settings", "Mirostat"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Keeps the surprise of the text steady: 0 = off, 1 or 2 = version."),
    QT_TRANSLATE_NOOP(
        "settings",
        "An alternative to top-k and top-p, which it replaces while on. Version"
        " 2 is the usual choice; most people leave it off."),
    QT_TRANSLATE_NOOP("settings", "Mirostat tau"),
    QT_TRANSLATE_NOOP(
        "settings",
        "The surprise Mirostat aims for: lower is focused, higher varied."),
    QT_TRANSLATE_NOOP(
        "settings",
        "5 is usual; try 3 for focused answers, 7–8 for creative writing. Used "
        "only while Mirostat is on."),
    QT_TRANSLATE_NOOP("settings", "Mirostat eta"),
    QT_TRANSLATE_NOOP("settings", "How quickly Mirostat steers back towards its target."),
    QT_TRANSLATE_NOOP("settings", "0.1 is usual. Used only while Mirostat is on."),
    QT_TRANSLATE_NOOP("settings", "Seed"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Where the dice start: the same seed and settings repeat a reply."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Leave it random for everyday chat; fix a number to reproduce a reply "
        "or to compare settings fairly."),
    QT_TRANSLATE_NOOP("settings", "Max reply tokens"),
    QT_TRANSLATE_NOOP(
        "settings",
        "The longest a reply may be, in tokens (a token is about ¾ of a word)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Replies usually end by themselves; this is only the cut-off. Raise it "
        "for long texts and code, lower it to keep replies short."),
    QT_TRANSLATE_NOOP("settings", "Loop guard"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Stops a reply that only repeats itself for this many tokens (0 = off)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Saves time when a small model gets stuck going round in circles. The "
        "default suits most models."),
    QT_TRANSLATE_NOOP("settings", "Context length"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Tokens the model sees at once: history plus reply. More uses more "
        "memory."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Raise it for long chats and documents; the Models tab shows the memory"
        " each size needs. Lower it if a model fails to load for lack of "
        "memory."),
    QT_TRANSLATE_NOOP("settings", "CPU threads"),
    QT_TRANSLATE_NOOP(
        "settings",
        "CPU cores the model uses; automatic is the count measured fastest "
        "here."),
    QT_TRANSLATE_NOOP(
        "settings",
        "Leave it automatic unless the computer feels slow while a reply is "
        "written: fewer threads leave room for other programs."),
    QT_TRANSLATE_NOOP("settings", "GPU layers"),
    QT_TRANSLATE_NOOP(
        "settings",
        "How much of the model runs on the graphics card (-1 = all, 0 = none)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "More layers on the GPU is faster, and as many as fit is usually right."
        " Lower it if a model fails to load for lack of video memory."),
    QT_TRANSLATE_NOOP("settings", "Context cache precision"),
    QT_TRANSLATE_NOOP(
        "settings",
        "Bits per number in the context cache: 16 is exact, 8 takes about half "
        "the memory, 4 about a quarter."),
    QT_TRANSLATE_NOOP(
        "settings",
        "8 fits about twice the context in the same memory with the same "
        "quality, but on a CPU it reads long prompts about half as fast; 4 "
        "costs quality too. Changing it reloads the model."),
    QT_TRANSLATE_NOOP("settings", "Safe mode"),
    QT_TRANSLATE_NOOP(
        "settings",
        "1 = load without CPU-specific speed-ups (weight repacking, AMX "
        "kernels)."),
    QT_TRANSLATE_NOOP(
        "settings",
        "For a model that crashes on this CPU. Hearth turns it on by itself "
        "after repeated crashes; set 0 to get the speed back."),
    QT_TRANSLATE_NOOP("settings", "Drop the oldest messages"),
    QT_TRANSLATE_NOOP("settings", "Keep the first exchange, drop the middle"),
    QT_TRANSLATE_NOOP("settings", "Stop and ask"),
    # The built-in presets' names (engine/settings.py BUILTIN_PRESETS)
    QT_TRANSLATE_NOOP("settings", "Precise"),
    QT_TRANSLATE_NOOP("settings", "Balanced"),
    QT_TRANSLATE_NOOP("settings", "Creative"),
)


def setting_text(text: str) -> str:
    """One of TEXTS in the interface's language (any other text as it is)."""
    return QCoreApplication.translate(CONTEXT, text)
