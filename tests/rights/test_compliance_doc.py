"""docs/compliance.md states the exact labels, and the templates use the
English ones word for word (the catalogs translate from these)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LABELS = {
    "Cancel contracts here": ["Verträge hier kündigen", "Résilier vos contrats ici",
                              "Cancelar contratos aquí"],
    "Cancel now": ["jetzt kündigen", "Résilier maintenant", "Cancelar ahora"],
    "Withdraw from contract here": ["Vertrag widerrufen", "Se rétracter du contrat ici",
                                    "Desistir del contrato aquí"],
    "Confirm withdrawal": ["Widerruf bestätigen", "Confirmer la rétractation",
                           "Confirmar el desistimiento"],
}  # fmt: skip


def test_the_doc_gives_each_label_in_every_language():
    doc = (ROOT / "docs" / "compliance.md").read_text(encoding="utf-8")
    for english, others in LABELS.items():
        row = next(line for line in doc.splitlines() if f"| {english} |" in line)
        for label in others:
            assert f"| {label} |" in row, (english, label)
    for rule in ["§ 312k BGB", "Art. 11a", "§ 356a BGB", "AB 2863", "527-a", "card networks"]:
        assert rule in doc


def test_the_templates_use_the_english_labels_as_written():
    templates = ROOT / "templates"
    footer = (templates / "rights" / "_footer_link.html").read_text()
    assert '{% translate "Cancel contracts here" %}' in footer
    assert '{% translate "Withdraw from contract here" %}' in footer
    assert '{% translate "Cancel now" %}' in (templates / "rights" / "cancel.html").read_text()
    confirm = (templates / "rights" / "withdraw_confirm.html").read_text()
    assert '{% translate "Confirm withdrawal" %}</button>' in confirm
    assert (
        '{% translate "Cancel contracts here" %}'
        in (templates / "emails" / "base.html").read_text()
    )
    assert (
        '{% translate "Cancel contracts here" %}'
        in (templates / "emails" / "_footer.txt").read_text()
    )
