"""StreamField blocks of editorial content. Each has a preview for the block picker."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul", "h3", "h4"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Heading 2")), ("h3", _("Heading 3"))],
        default="h2",
        help_text=_("Keep the order of levels: a heading 3 comes under a heading 2."),
    )

    class Meta:
        icon = "title"
        label = _("Heading")
        template = "cms/blocks/heading.html"
        preview_value = {"text": "Pourquoi cette consultation ?", "level": "h2"}
        description = _("A section title, part of the page outline read by screen readers.")


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    source = blocks.CharBlock(label=_("Source"), required=False)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "cms/blocks/quote.html"
        preview_value = {
            "quote": "La ville se construit avec celles et ceux qui la vivent.",
            "source": "Le conseil municipal",
        }
        description = _("A quotation with its source.")


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Text"), max_length=120)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.URLBlock(label=_("Or an address"), required=False)

    class Meta:
        icon = "link"
        label = _("Call to action")
        template = "cms/blocks/call_to_action.html"
        preview_value = {"text": "Donner mon avis", "url": "https://example.org/"}
        description = _("A prominent link inviting people to act.")

    def clean(self, value):
        cleaned = super().clean(value)
        if not cleaned.get("page") and not cleaned.get("url"):
            raise blocks.StructBlockValidationError(
                block_errors={"page": [_("Choose a page or enter an address.")]}
            )
        return cleaned


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=250)
    answer = blocks.RichTextBlock(label=_("Answer"), features=RICH_TEXT_FEATURES)


class FaqBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, default="Questions fréquentes")
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("Frequently asked questions")
        template = "cms/blocks/faq.html"
        preview_value = {
            "title": "Questions fréquentes",
            "questions": [
                {
                    "question": "Qui peut participer ?",
                    "answer": "<p>Toute personne concernée, habitante ou non.</p>",
                }
            ],
        }
        description = _("Questions and answers that open one at a time.")


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    label = blocks.CharBlock(label=_("Link text"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "cms/blocks/document.html"
        description = _("A file to download, with its format and size shown.")


class KeyFigureBlock(blocks.StructBlock):
    figure = blocks.CharBlock(label=_("Figure"), max_length=20)
    caption = blocks.CharBlock(label=_("Caption"), max_length=120)


class KeyFiguresBlock(blocks.StructBlock):
    figures = blocks.ListBlock(KeyFigureBlock(), label=_("Figures"), max_num=4)

    class Meta:
        icon = "list-ul"
        label = _("Key figures")
        template = "cms/blocks/key_figures.html"
        preview_value = {
            "figures": [
                {"figure": "2 km", "caption": "de nouvelles pistes cyclables"},
                {"figure": "450", "caption": "places de stationnement vélo"},
            ]
        }
        description = _("Up to four figures with their captions.")


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        label=_("Paragraph"),
        features=RICH_TEXT_FEATURES,
        icon="pilcrow",
        template="cms/blocks/paragraph.html",
        preview_value="<p>Un texte clair, des phrases courtes, un sujet par paragraphe.</p>",
        description=_("Formatted text: emphasis, links, lists."),
    )
    image = ImageBlock(
        label=_("Image"),
        template="cms/blocks/image.html",
        description=_("An image with its alternative text, or marked as decorative."),
    )
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
    faq = FaqBlock()
    document = DocumentBlock()
    key_figures = KeyFiguresBlock()

    class Meta:
        block_counts = {}
