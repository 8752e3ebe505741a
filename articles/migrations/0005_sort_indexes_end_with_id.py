"""Sort indexes for heat, quality and import time end with the id, as the queue's order does.

The queue sorts `heat DESC, id DESC` (every order ends with the id). An index on
`(status, heat DESC)` alone leaves each run of equal heat to be sorted apart: at
100,000 articles the deepest pages of a heat sort (a quarter of the items
share heat -1, "not scored") sorted thousands of rows each. With the id in the index a page is an index walk,
for both directions of each sort, and the pager's cursors start it with a range.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0004_status_and_provider_order_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='article',
            name='article_status_heat',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_status_quality',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_status_imported',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_heat',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_quality',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_imported',
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['status', '-heat', '-id'], name='article_status_heat_id'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['status', '-quality', '-id'], name='article_status_quality_id'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['status', '-imported_at', '-id'], name='article_status_imported_id'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['-heat', '-id'], name='article_heat_id'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['-quality', '-id'], name='article_quality_id'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['-imported_at', '-id'], name='article_imported_id'),
        ),
    ]
